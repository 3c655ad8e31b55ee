import type { ClientConfig } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest.js';
import { NODE_LOCAL_PATH_GROUP, nodeLocalPathUser } from '../auth/user.js';
import { logger } from '../util/log.js';
import { identityFiles, loadSavedCertificate, nodeClientConfig, requestClientCertificate, saveIdentity, type ClientCertificateRequest, type NodeIdentity } from './agent-identity.js';
import { startCertificateRotation } from './rotation.js';

// The identities a joined node's own components run as besides the kubelet
// (k3s's agent gets them from its server): kube-proxy (which the pod network
// agent shares, as it needs the same read of every Node) and the local-path
// provisioner. Each is asked for by the node through a CSR that csrapproving
// approves for nodes only, kept in the node's pki dir beside the kubelet's,
// and renewed like it; every client made from it follows the renewals.

const log = logger('agent');

export interface NodeComponentRequest extends ClientCertificateRequest {
  /** File stem in the pki dir: STEM-current.pem. */
  stem: string;
  /** For the logs: "kube-proxy client". */
  what: string;
}

export const PROXY_CLIENT: NodeComponentRequest = { commonName: 'system:kube-proxy', organizations: [], signerName: 'kubernetes.io/kube-apiserver-client', prefix: 'proxy-csr', stem: 'kube-proxy-client', what: 'kube-proxy client' };
/** The node's own provisioner identity: NodeRestriction lets it write only the PersistentVolumes of this node's disk. */
export function localPathClient(nodeName: string): NodeComponentRequest {
  return { commonName: nodeLocalPathUser(nodeName), organizations: [NODE_LOCAL_PATH_GROUP], signerName: 'kubernetes.io/kube-apiserver-client', prefix: 'local-path-csr', stem: 'local-path-provisioner-client', what: 'local-path provisioner client' };
}

export interface NodeComponentIdentity {
  config(): ClientConfig;
  /** A client with this identity that gets every renewed certificate; closed by stop(). */
  client(component: string): RestClient;
  /** Hands every renewed certificate to a client made elsewhere (the proxy's own). */
  follow(client: RestClient): void;
  stop(): void;
}

export async function startNodeComponentIdentity(o: { server: string; servers?: string[]; nodeName: string; pkiDir: string; request: NodeComponentRequest; node: () => NodeIdentity; progress: (msg: string) => void }): Promise<NodeComponentIdentity> {
  const files = identityFiles(o.pkiDir, o.request.stem);
  let id = await loadSavedCertificate(files, o.request.commonName);
  if (!id) {
    const asNode = new RestClient(nodeClientConfig(o.server, o.node(), o.servers), { component: 'kubelet' });
    try {
      id = await requestClientCertificate(asNode, o.node().caPem, o.request, o.progress);
    } finally {
      asNode.close();
    }
    await saveIdentity(files, id);
  }
  const clients: RestClient[] = [];
  const followers: RestClient[] = [];
  const rotation = startCertificateRotation({
    server: o.server,
    servers: o.servers,
    nodeName: o.nodeName,
    files,
    identity: id,
    what: o.request.what,
    authAs: o.node,
    renew: (client, current) => requestClientCertificate(client, current.caPem, o.request, (msg) => log.info({ node: o.nodeName }, msg)),
    onRotated: (next) => {
      for (const c of [...clients, ...followers]) c.transport.setClientCertificate(Buffer.from(next.certPem), Buffer.from(next.keyPem));
    },
  });
  return {
    config: () => nodeClientConfig(o.server, rotation.current(), o.servers),
    client(component) {
      const c = new RestClient(nodeClientConfig(o.server, rotation.current(), o.servers), { component });
      clients.push(c);
      return c;
    },
    follow(c) {
      followers.push(c);
    },
    stop() {
      rotation.stop();
      for (const c of clients) c.close();
    },
  };
}
