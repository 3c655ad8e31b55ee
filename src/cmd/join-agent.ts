import { hostname } from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { startKubelet } from './kubelet.js';
import { dockerAnswers } from './agent.js';
import { progress } from './progress.js';
import { RestClient } from '../client/rest.js';
import { resourceFor } from '../api/scheme/resources.js';
import { defaultNodeIP } from '../kubelet/node/machine.js';
import { parseJoinToken, type JoinToken } from '../join/token.js';
import { identityFiles, loadSavedCertificate, nodeClientConfig, obtainNodeIdentity, requestClientCertificate, saveIdentity, type NodeIdentity } from '../join/agent-identity.js';
import { addProxyFlags, proxySettings, runProxy, type ProxyFlags } from './proxy.js';
import { startCertificateRotation } from '../join/rotation.js';
import { logger } from '../util/log.js';
import { JoinError } from '../join/errors.js';
import { SERVERS_EXTENSION } from '../client/kubeconfig.js';
import { stringify } from 'yaml';

// `k8ts agent`: joins this host to a cluster as k3s's agent does. The node
// identity (system:node:NAME) comes from a CSR made with the join token and
// is kept in DIR/agent/pki; the kubelet then runs with it and the
// certificate manager renews it before it expires.

const log = logger('agent');
const SERVICES = resourceFor('', 'v1', 'services')!;

export interface JoinAgentFlags extends Partial<ProxyFlags> {
  disableKubeProxy?: boolean;
  /** One URL, a comma list, or (repeated --server) several: the cluster's servers, tried in order. */
  server?: string | string[];
  token?: string;
  tokenFile?: string;
  nodeName?: string;
  runtime: string;
  dataDir: string;
  rootDir?: string;
  nodeIp?: string;
  kubeletPort: string;
  podCidr?: string;
  podManifestPath?: string;
  clusterDns?: string;
  clusterDomain: string;
}

async function tokenFrom(flags: JoinAgentFlags): Promise<JoinToken | undefined> {
  let text = flags.token ?? process.env.K8TS_TOKEN;
  if (!text && flags.tokenFile) text = await readFile(resolve(flags.tokenFile), 'utf8');
  return text ? parseJoinToken(text) : undefined;
}

/** The cluster DNS address the server's kube-dns Service has, unless --cluster-dns says. */
async function clusterDns(client: RestClient, flag: string | undefined): Promise<string[]> {
  if (flag !== undefined) return flag.split(',').map((s) => s.trim()).filter(Boolean);
  try {
    const svc = await client.get(SERVICES, 'kube-system', 'kube-dns');
    const ip = (svc.spec as { clusterIP?: string } | undefined)?.clusterIP;
    return ip && ip !== 'None' ? [ip] : [];
  } catch {
    return [];
  }
}

/** --server as given: repeated and/or comma-separated, each https://HOST:PORT. */
export function serverList(flag: string | string[] | undefined): string[] {
  const urls = (Array.isArray(flag) ? flag : flag ? [flag] : []).flatMap((v) => v.split(',')).map((u) => u.trim().replace(/\/+$/, '')).filter(Boolean);
  if (!urls.length) throw new Error('--server https://HOST:PORT is required');
  for (const u of urls) if (!u.startsWith('https://')) throw new Error(`--server must be an https:// URL, not ${u}`);
  return [...new Set(urls)];
}

/** The agent's kubeconfig (DIR/agent/kubelet.kubeconfig): the node certificate and every server, in the k8ts.io/servers extension. */
async function writeAgentKubeconfig(path: string, servers: string[], files: { ca: string; current: string }): Promise<void> {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'k8ts', cluster: { server: servers[0], 'certificate-authority': files.ca, extensions: [{ name: SERVERS_EXTENSION, extension: { servers } }] } }],
    users: [{ name: 'node', user: { 'client-certificate': files.current, 'client-key': files.current } }],
    contexts: [{ name: 'k8ts', context: { cluster: 'k8ts', user: 'node' } }],
    'current-context': 'k8ts',
  };
  await writeFile(path, stringify(doc), { mode: 0o600 });
}

export async function runJoinAgent(flags: JoinAgentFlags): Promise<{ stop(): Promise<void> }> {
  const servers = serverList(flags.server);
  const token = await tokenFrom(flags);
  const nodeName = (flags.nodeName ?? hostname()).toLowerCase();
  const dataDir = resolve(flags.dataDir);
  const files = identityFiles(join(dataDir, 'agent', 'pki'));
  let runtime = flags.runtime;
  if (runtime === 'auto') runtime = (await dockerAnswers()) ? 'docker' : 'exec';
  if (!['docker', 'exec', 'fake'].includes(runtime)) throw new Error(`--runtime must be auto, docker, exec or fake, not ${runtime}`);
  // Joining needs one live server: the next is tried while a server cannot be reached at all.
  let server = servers[0]!;
  let obtained: Awaited<ReturnType<typeof obtainNodeIdentity>> | undefined;
  for (const [i, candidate] of servers.entries()) {
    server = candidate;
    progress(`joining ${server} as node ${nodeName}${servers.length > 1 ? ` (servers: ${servers.join(', ')})` : ''}`);
    try {
      obtained = await obtainNodeIdentity({ server, token, nodeName, files, progress });
      break;
    } catch (err) {
      if (!(err instanceof JoinError && err.reason === 'Unreachable') || i === servers.length - 1) throw err;
      progress(`${err.message}; trying the next server`);
    }
  }
  const { identity, reused } = obtained!;
  progress(reused ? `re-using the node certificate in ${files.current} (valid until ${identity.notAfter.toISOString()}); no token needed` : `node certificate issued (valid until ${identity.notAfter.toISOString()}), saved in ${files.current}`);
  await writeAgentKubeconfig(join(dataDir, 'agent', 'kubelet.kubeconfig'), [server, ...servers.filter((u) => u !== server)], files);
  const clientConfig = nodeClientConfig(server, identity, servers);
  const address = flags.nodeIp ?? defaultNodeIP();
  const probe = new RestClient(clientConfig, { component: 'kubelet' });
  const dns = await clusterDns(probe, flags.clusterDns);
  probe.close();
  const kubelet = await startKubelet({
    clientConfig,
    nodeName,
    address,
    runtime: runtime as 'docker' | 'exec' | 'fake',
    rootDir: resolve(flags.rootDir ?? join(dataDir, 'agent', 'kubelet')),
    podManifestPath: flags.podManifestPath ? resolve(flags.podManifestPath) : undefined,
    kubeletPort: Number(flags.kubeletPort),
    podCIDR: flags.podCidr,
    clusterDNS: dns,
    clusterDomain: flags.clusterDomain,
    // The local-path provisioner writes PVs under an identity of its own, which a joined host cannot mint.
    localPathProvisioner: false,
  });
  progress(`kubelet registered node ${nodeName} (runtime ${runtime}, address ${address}, server on port ${kubelet.port})`);
  const proxy = flags.disableKubeProxy ? undefined : await startAgentProxy(server, servers, nodeName, identity, join(dataDir, 'agent', 'pki'), flags, () => rotation.current());
  const rotation = startCertificateRotation({
    server,
    servers,
    nodeName,
    files,
    identity,
    onRotated: (next) => {
      kubelet.client.transport.setClientCertificate(Buffer.from(next.certPem), Buffer.from(next.keyPem));
      progress(`node certificate rotated (valid until ${next.notAfter.toISOString()})`);
    },
  });
  log.info({ node: nodeName, server }, 'agent running');
  return {
    async stop() {
      rotation.stop();
      await proxy?.stop();
      await kubelet.stop();
    },
  };
}

const PROXY_REQUEST = { commonName: 'system:kube-proxy', organizations: [], signerName: 'kubernetes.io/kube-apiserver-client', prefix: 'proxy-csr' };

/**
 * The node's kube-proxy, as system:kube-proxy (its system:node-proxier role):
 * the certificate is asked for as the node and kept beside the node's, as
 * k3s's agent gets one from its server; it is renewed like the node's.
 */
async function startAgentProxy(server: string, servers: string[], nodeName: string, node: NodeIdentity, pkiDir: string, flags: JoinAgentFlags, currentNode: () => NodeIdentity): Promise<{ stop(): Promise<void> }> {
  const files = identityFiles(pkiDir, 'kube-proxy-client');
  let id = await loadSavedCertificate(files, PROXY_REQUEST.commonName);
  if (!id) {
    const asNode = new RestClient(nodeClientConfig(server, node, servers), { component: 'kubelet' });
    try {
      id = await requestClientCertificate(asNode, node.caPem, PROXY_REQUEST, progress);
    } finally {
      asNode.close();
    }
    await saveIdentity(files, id);
  }
  const p = await runProxy({ ...proxySettings(flags), nodeName }, nodeClientConfig(server, id, servers));
  const rotation = startCertificateRotation({
    server,
    servers,
    nodeName,
    files,
    identity: id,
    what: 'kube-proxy client',
    authAs: currentNode,
    renew: (client, current) => requestClientCertificate(client, current.caPem, PROXY_REQUEST, (msg) => log.info({ node: nodeName }, msg)),
    onRotated: (next) => p.client.transport.setClientCertificate(Buffer.from(next.certPem), Buffer.from(next.keyPem)),
  });
  return {
    async stop() {
      rotation.stop();
      await p.stop();
    },
  };
}

export function addJoinAgentCommand(program: Command): Command {
  return addProxyFlags(program.command('agent'))
    .description('join this host to a k8ts cluster: runs a kubelet whose identity comes from the server\'s join token')
    .option('--server <url>', 'an API server of the cluster, https://HOST:PORT; repeat it or give a comma list for several (the agent fails over between them)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v], process.env.K8TS_URL ? [process.env.K8TS_URL] : undefined)
    .option('--token <token>', 'join token (DIR/node-token of the server; also $K8TS_TOKEN); not needed once the node has its certificate')
    .option('--token-file <file>', 'file holding the join token')
    .option('--node-name <name>', 'name of the node (default: the hostname)')
    .option('--runtime <kind>', 'container runtime: auto (docker when its socket answers, else exec), docker, exec or fake', 'auto')
    .option('--data-dir <dir>', 'directory for the node\'s certificates (DIR/agent/pki) and kubelet state (DIR/agent/kubelet)', process.env.K8TS_DATA_DIR ?? '.k8ts')
    .option('--root-dir <dir>', 'kubelet root directory: pod volumes, logs and state (default DIR/agent/kubelet)')
    .option('--node-ip <ip>', 'InternalIP of the node and address of its kubelet server (default: first non-loopback IPv4)')
    .option('--kubelet-port <n>', 'port of the kubelet server (0: any free port)', '10250')
    .option('--pod-cidr <cidr>', 'pod network of the node (exec runtime; default: the Node\'s spec.podCIDR when IPAM sets it)')
    .option('--pod-manifest-path <dir>', 'directory of static pod manifests')
    .option('--cluster-dns <ips>', 'nameservers of ClusterFirst pods (default: the kube-dns Service\'s address)')
    .option('--cluster-domain <domain>', 'the cluster\'s DNS domain', 'cluster.local')
    .option('--disable-kube-proxy', 'run the kubelet without the proxy')
    .action(async (flags: JoinAgentFlags) => {
      const agent = await runJoinAgent(flags);
      let stopping = false;
      const stop = (sig: string): void => {
        if (stopping) process.exit(1);
        stopping = true;
        progress(`${sig}: stopping the agent (containers keep running and are adopted on restart)`);
        agent.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            console.error(err);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}
