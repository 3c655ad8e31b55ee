import { join } from 'node:path';
import type { ClientConfig } from '../client/kubeconfig.js';
import { issueClientCert, issueServingCert, type ClusterPki } from '../pki/index.js';
import type { KubeletClientConfig } from '../apiserver/kubelet-client.js';
import type { RunningApiServer } from '../apiserver/server.js';
import type { KubeletServingTls } from '../kubelet/server/auth.js';
import { writeKubeconfig } from '../apiserver/kubeconfig.js';
import { LOCAL_PATH_USER } from '../auth/user.js';

// Every component inside `k8ts server` talks to the API server as itself,
// with its own client certificate and upstream's least-privilege role
// (system:kube-scheduler, system:kube-controller-manager, system:node:NAME,
// system:kube-proxy), never as the admin. The kubeconfig files let a person
// run the same component by hand with the same identity.

export interface ComponentIdentity {
  /** File name stem, e.g. "scheduler" → DATA_DIR/scheduler.kubeconfig */
  name: string;
  user: string;
  groups: string[];
}

export const SCHEDULER: ComponentIdentity = { name: 'scheduler', user: 'system:kube-scheduler', groups: [] };
export const CONTROLLER_MANAGER: ComponentIdentity = { name: 'controller-manager', user: 'system:kube-controller-manager', groups: [] };
/** The cluster DNS reads Services and EndpointSlices as system:coredns (ClusterRole system:coredns). */
export const DNS: ComponentIdentity = { name: 'dns', user: 'system:coredns', groups: [] };
export const PROXY: ComponentIdentity = { name: 'proxy', user: 'system:kube-proxy', groups: [] };
/** The server's own provisioner: cluster-wide, unlike a joined node's (see auth/user.ts). */
export const LOCAL_PATH_PROVISIONER: ComponentIdentity = { name: 'local-path-provisioner', user: LOCAL_PATH_USER, groups: [] };

export function kubeletIdentity(nodeName: string): ComponentIdentity {
  return { name: 'kubelet', user: `system:node:${nodeName}`, groups: ['system:nodes'] };
}

/** Issues the component's certificate, writes DATA_DIR/<name>.kubeconfig, and returns the client config. */
export async function componentClientConfig(pki: ClusterPki, server: string, dataDir: string, id: ComponentIdentity): Promise<ClientConfig> {
  const cert = await issueClientCert(pki, { commonName: id.user, organizations: id.groups });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await writeKubeconfig(join(dataDir, `${id.name}.kubeconfig`), {
    server,
    user: id.user,
    caData: b64(pki.caCertPem),
    clientCertData: b64(cert.certPem),
    clientKeyData: b64(cert.keyPem),
  });
  return {
    server,
    caData: Buffer.from(pki.caCertPem),
    certData: Buffer.from(cert.certPem),
    keyData: Buffer.from(cert.keyPem),
    namespace: 'default',
  };
}

/**
 * The component's client config for a component of `k8ts server` that runs in
 * the API server's own process: the same certificate and kubeconfig file, its
 * requests over in-memory connections (apiserver/in-process.ts).
 */
export async function embeddedClientConfig(cp: { pki: ClusterPki; server: string; dataDir: string; api: Pick<RunningApiServer, 'connectInProcess'> }, id: ComponentIdentity): Promise<ClientConfig> {
  const config = await componentClientConfig(cp.pki, cp.server, cp.dataDir, id);
  return { ...config, connect: cp.api.connectInProcess };
}

/**
 * The API server's identity towards kubelets (upstream kubeadm's
 * kube-apiserver-kubelet-client): kubelets let in only this certificate.
 */
export const APISERVER_KUBELET_CLIENT = { commonName: 'kube-apiserver-kubelet-client', organizations: [] as string[] };

export async function apiserverKubeletClient(pki: ClusterPki, verifyKubelets: boolean): Promise<KubeletClientConfig> {
  const cert = await issueClientCert(pki, APISERVER_KUBELET_CLIENT);
  return { certPem: cert.certPem, keyPem: cert.keyPem, caPem: verifyKubelets ? pki.caCertPem : undefined };
}

/** A kubelet's serving certificate from the cluster CA (node name and IPs as its names), and that CA for its clients. */
export async function kubeletServingTls(pki: ClusterPki, nodeName: string, ips: string[]): Promise<KubeletServingTls> {
  const cert = await issueServingCert(pki, { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], hostnames: [nodeName], ips });
  return { certPem: cert.certPem, keyPem: cert.keyPem, clientCaPem: pki.caCertPem };
}
