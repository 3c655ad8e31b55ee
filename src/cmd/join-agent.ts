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
import { identityFiles, nodeClientConfig, obtainNodeIdentity } from '../join/agent-identity.js';
import { addProxyFlags, proxySettings, runProxy, type ProxyFlags } from './proxy.js';
import { startCertificateRotation } from '../join/rotation.js';
import { localPathClient, PROXY_CLIENT, startNodeComponentIdentity, type NodeComponentIdentity } from '../join/component-identity.js';
import { logger } from '../util/log.js';
import { addPodNetworkFlags, backendChoice, startNodePodNetwork } from './podnet.js';
import { podMtu } from '../podnet/agent.js';
import { collectArg, kubeletArgOptions } from './kubelet-args.js';
import { JoinError } from '../join/errors.js';
import { SERVERS_EXTENSION } from '../client/kubeconfig.js';
import { yaml } from '../util/yaml.js';

// `k8ts agent`: joins this host to a cluster as k3s's agent does. The node
// identity (system:node:NAME) comes from a CSR made with the join token and
// is kept in DIR/agent/pki; the kubelet then runs with it and the
// certificate manager renews it before it expires. Beside the kubelet run,
// each with an identity the node asks for: kube-proxy, the pod network
// agent (k3s's embedded flannel: routes or VXLAN to every other node's pods)
// and the local-path provisioner for claims whose pods land on this node.

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
  flannelBackend?: string;
  kubeletArg?: string[];
  uninstall?: boolean;
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
  await writeFile(path, yaml().stringify(doc), { mode: 0o600 });
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
  const backend = backendChoice(flags.flannelBackend);
  const tuning = kubeletArgOptions(flags.kubeletArg);
  const pkiDir = join(dataDir, 'agent', 'pki');
  const probe = new RestClient(clientConfig, { component: 'kubelet' });
  const dns = await clusterDns(probe, flags.clusterDns);
  probe.close();
  // The node's other identities are asked for as the node, so they follow its renewed certificate.
  let currentNode = () => identity;
  const component = (request: typeof PROXY_CLIENT): Promise<NodeComponentIdentity> => startNodeComponentIdentity({ server, servers, nodeName, pkiDir, request, node: () => currentNode(), progress });
  const wantsNodes = runtime === 'exec' || !flags.disableKubeProxy;
  const [nodesReader, localPath] = await Promise.all([wantsNodes ? component(PROXY_CLIENT) : undefined, runtime === 'fake' ? undefined : component(localPathClient(nodeName))]);
  const parts: { stop(): Promise<void> | void }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const p of parts.splice(0).reverse()) await p.stop();
  };
  try {
    if (nodesReader) parts.push(nodesReader);
    if (localPath) parts.push(localPath);
    const kubelet = await startKubelet({
      ...tuning,
      clientConfig,
      nodeName,
      address,
      runtime: runtime as 'docker' | 'exec' | 'fake',
      rootDir: resolve(flags.rootDir ?? join(dataDir, 'agent', 'kubelet')),
      podManifestPath: flags.podManifestPath ? resolve(flags.podManifestPath) : undefined,
      kubeletPort: Number(flags.kubeletPort),
      podCIDR: flags.podCidr,
      awaitPodCIDR: !flags.podCidr && backend !== 'none',
      podMTU: runtime === 'exec' ? await podMtu(backend, address) : undefined,
      clusterDNS: dns,
      clusterDomain: flags.clusterDomain,
      localPathProvisioner: !!localPath,
      localPathClient: localPath?.client('local-path-provisioner'),
    });
    parts.push(kubelet);
    progress(`kubelet registered node ${nodeName} (runtime ${runtime}, address ${address}, server on port ${kubelet.port})`);
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
    currentNode = () => rotation.current();
    parts.push({ stop: () => rotation.stop() });
    if (runtime === 'exec' && nodesReader) {
      const net = await startNodePodNetwork({ ...kubelet, nodeName }, nodesReader.client('podnet'), address, backend, flags.clusterCidr);
      // A clean stop takes the routes, the VXLAN device and the FORWARD rules along (k3s agent's clean-up).
      parts.push({ stop: () => net.stop({ cleanup: true }) });
    }
    if (!flags.disableKubeProxy && nodesReader) {
      const proxy = await runProxy({ ...proxySettings(flags), nodeName }, nodesReader.config());
      nodesReader.follow(proxy.client);
      parts.push(proxy);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  log.info({ node: nodeName, server }, 'agent running');
  return { stop: stopAll };
}

export function addJoinAgentCommand(program: Command): Command {
  return addPodNetworkFlags(addProxyFlags(program.command('agent')))
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
    .option('--kubelet-arg <name=value>', 'a `k8ts kubelet` tuning flag for the kubelet, e.g. node-lease-duration-seconds=8 (repeatable, as k3s\'s)', collectArg)
    .option('--uninstall', 'take this node off the host instead of running it (the agent must not be running): stop and remove its pods, unmount their volumes, remove the pod network\'s routes and devices and the proxy\'s rules, then DIR/agent and the kubelet root directory (local-path volumes included); the Node object stays until `kubectl delete node`')
    .action(async (flags: JoinAgentFlags) => {
      if (flags.uninstall) {
        const dataDir = resolve(flags.dataDir);
        const { runUninstall } = await import('./uninstall.js');
        const ok = await runUninstall({ nodeName: (flags.nodeName ?? hostname()).toLowerCase(), runtime: flags.runtime, rootDir: resolve(flags.rootDir ?? join(dataDir, 'agent', 'kubelet')), dirs: [join(dataDir, 'agent')] });
        process.exitCode = ok ? 0 : 1;
        return;
      }
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
