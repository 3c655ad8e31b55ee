// The hollow kubelets' serving certificate: like a real kubelet given no
// --tls-cert-file, they present a self-signed pair, one for the whole
// process (its IP SANs name every node's loopback address), and let in only
// clients whose certificate chains to the cluster CA of their kubeconfig —
// so a secure API server reaches them over HTTPS as it reaches real nodes.
import type { ClientConfig } from '../client/kubeconfig.js';
import type { KubeletServingTls } from '../kubelet/server/auth.js';
import { createCa, issueLeaf } from '../pki/x509.js';
import { loopbackNodeAddress } from './addresses.js';

/** undefined when the kubeconfig names no CA: the servers then speak plain HTTP (an insecure API server). */
export async function hollowServingTls(client: ClientConfig, count: number): Promise<KubeletServingTls | undefined> {
  const clientCaPem = client.caData?.toString('utf8');
  if (!clientCaPem) return undefined;
  const self = await createCa(`hollow-nodes-ca@${Math.floor(Date.now() / 1000)}`, 365);
  const ips = ['127.0.0.1', ...Array.from({ length: count }, (_, i) => loopbackNodeAddress(i))];
  const leaf = await issueLeaf(self, { subject: { commonName: 'hollow-nodes' }, days: 365, usages: ['server'], dnsNames: ['hollow-nodes'], ips });
  return { certPem: leaf.certPem + self.certPem, keyPem: leaf.keyPem, clientCaPem };
}
