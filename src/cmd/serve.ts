import type { Command } from 'commander';
import { addApiServerFlags, advertiseAddress, resolveStorage, runApiServer, type ServerFlags } from './server.js';
import type { AgentFlags } from './agent.js';
import type { ControllerManagerFlags } from './controller-manager.js';
import { join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { hasManagedEtcd } from '../etcd/member.js';
import { progress } from './progress.js';
import { KUBERNETES_VERSION } from '../apiserver/discovery.js';
import type { DnsFlags } from './dns.js';

// `k8ts apiserver` loads this module too: the components of `k8ts server`
// (controllers, scheduler, kubelet, proxy, managed etcd and its gRPC client)
// are imported only where they start, so the API server alone does not hold
// their code in memory.

/** The cluster's pod range when `k8ts server` allocates node CIDRs: its first /24 is the exec runtime's old default pod network. */
export const DEFAULT_CLUSTER_CIDR = '10.244.0.0/16';

type Stoppable = { stop(): Promise<void> };

function onSignals(parts: Stoppable[]): void {
  let stopping = false;
  const handler = (sig: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    progress(`${sig}: shutting down`);
    // Stop in reverse start order: node agents before the API server they talk to.
    (async () => {
      for (const p of [...parts].reverse()) await p.stop();
    })().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}

export interface ClusterFlags {
  clusterInit?: boolean;
  server?: string;
  token?: string;
  etcdClientPort?: string;
  etcdPeerPort?: string;
}

export async function serve(flags: ServerFlags & Partial<AgentFlags> & ControllerManagerFlags & DnsFlags & ClusterFlags, what: string, withComponents: boolean): Promise<void> {
  flags.storage = resolveStorage(flags);
  const parts: Stoppable[] = [];
  onSignals(parts);
  // Managed etcd (--cluster-init, --server, or a data dir that runs a member) sets the etcd flags below.
  // The etcd client (gRPC) is loaded only by servers that run a member: SQLite servers never need it.
  const runsEtcd = withComponents && (flags.clusterInit || flags.server || hasManagedEtcd(resolve(flags.dataDir)));
  const managed = runsEtcd ? await (await import('../etcd/managed.js')).startManagedEtcd(flags, advertiseAddress(flags), progress) : undefined;
  if (managed) parts.push(managed);
  const cp = await runApiServer(flags);
  parts.push(cp);
  if (withComponents) {
    const [{ ensureDefaultStorageClass }, { RestClient }, { embeddedClientConfig, CONTROLLER_MANAGER, SCHEDULER }, { runControllerManager }, { startScheduler }, { startDnsAddon }] = await Promise.all([
      import('./default-storage.js'),
      import('../client/rest.js'),
      import('./identities.js'),
      import('./controller-manager.js'),
      import('./scheduler.js'),
      import('./dns.js'),
    ]);
    // As the admin of cp.kubeconfig, without reading that file back (its YAML parser would stay loaded for nothing).
    const admin = { server: cp.server, caData: Buffer.from(cp.pki.caCertPem), certData: Buffer.from(cp.pki.adminCertPem), keyData: Buffer.from(cp.pki.adminKeyPem), namespace: 'default', connect: cp.api.connectInProcess };
    await ensureDefaultStorageClass(admin);
    const cmClient = new RestClient(await embeddedClientConfig(cp, CONTROLLER_MANAGER), { component: 'kube-controller-manager', qps: 500, burst: 1000 });
    // Over etcd several servers may share the cluster: the controller manager and the scheduler are
    // leader-elected (upstream's --leader-elect*, on by default). SQLite has exactly one server: no election.
    const leaderElect = flags.storage === 'etcd' && flags.leaderElect !== false;
    const url = await announceJoin(cp, flags);
    if (managed) await managed.afterApiServer({ registry: cp.api.registry, pki: cp.pki, server: url, clientConfig: cmClient.config });
    const cm = await runControllerManager(
      {
        ...flags,
        clusterCidr: flags.clusterCidr ?? DEFAULT_CLUSTER_CIDR,
        leaderElect,
        useServiceAccountCredentials: true,
        rootCaFile: flags.rootCaFile ?? join(cp.dataDir, 'pki', 'ca.crt'),
        clusterSigningCertFile: flags.clusterSigningCertFile ?? join(cp.dataDir, 'pki', 'ca.crt'),
        clusterSigningKeyFile: flags.clusterSigningKeyFile ?? join(cp.dataDir, 'pki', 'ca.key'),
      },
      cmClient,
    );
    parts.push({ stop: async () => { await cm.stop(); cmClient.close(); } });
    progress(`controller manager started (identity ${cm.identity}${leaderElect ? ', leader-elected' : ''})`);
    const election = { leaseDuration: String(flags.leaderElectLeaseDuration), renewDeadline: String(flags.leaderElectRenewDeadline), retryPeriod: String(flags.leaderElectRetryPeriod) };
    const scheduler = await startScheduler({ clientConfig: await embeddedClientConfig(cp, SCHEDULER), config: { leaderElection: election }, leaderElect, qps: 5000, burst: 5000 });
    parts.push(scheduler);
    progress('scheduler started');
    const dns = flags.disableDns ? undefined : await startDnsAddon(cp, flags);
    if (dns) parts.push(dns);
    if (!flags.disableAgent) parts.push(await (await import('./agent.js')).startAgent(cp, flags as AgentFlags, dns ? { clusterDNS: [dns.clusterIP], clusterDomain: dns.clusterDomain } : { clusterDNS: [], clusterDomain: flags.clusterDomain }));
  }
  progress(`${what} is ready (Kubernetes ${KUBERNETES_VERSION.gitVersion}): KUBECONFIG=${cp.kubeconfig} kubectl get ns`);
}

/** The join token (DIR/node-token) and the command that joins another host, as k3s prints them. */
async function announceJoin(cp: Awaited<ReturnType<typeof runApiServer>>, flags: { tokenTtl?: string; port?: string; bindAddress?: string; advertiseAddress?: string }): Promise<string> {
  const [{ parseGoDuration }, { ensureJoinSetup }] = await Promise.all([import('../controllers/options.js'), import('../join/server-token.js')]);
  const ttl = flags.tokenTtl && flags.tokenTtl !== '0' && flags.tokenTtl !== '0s' ? parseGoDuration(flags.tokenTtl) : undefined;
  if (ttl !== undefined && !(ttl > 0)) throw new Error(`--token-ttl must be a duration such as 24h, or 0 for none, not ${flags.tokenTtl}`);
  // A server on every interface is reached at its advertised address; one bound to an address, at that address.
  const all = flags.bindAddress === '0.0.0.0' || flags.bindAddress === '::';
  const url = all ? `https://${advertiseAddress({ bindAddress: flags.bindAddress!, advertiseAddress: flags.advertiseAddress })}:${cp.api.port}` : cp.server;
  const j = await ensureJoinSetup(cp.api.registry, { dataDir: cp.dataDir, caCertPem: cp.pki.caCertPem, server: url, ttlMs: ttl });
  progress(`join token in ${j.tokenFile}; to add a node: k8ts agent --server ${url} --token $(cat ${j.tokenFile})`);
  return url;
}

export async function addServerCommand(program: Command): Promise<void> {
  // The flags of the agent, controller manager and DNS are defined beside the code that runs them.
  const [{ addAgentFlags }, { addControllerManagerFlags }, { addDnsFlags }] = await Promise.all([import('./agent.js'), import('./controller-manager.js'), import('./dns.js')]);
  const serverCmd = addAgentFlags(addApiServerFlags(program.command('server').description('run the control plane (API server, controller manager, scheduler) and, unless --disable-agent, a kubelet for this host, in one process')));
  serverCmd
    .option('--cluster-init', 'start a new highly available cluster on a managed etcd (needs etcd storage; SQLite cannot be shared)')
    .option('--server <url>', 'join the highly available cluster of this server (needs etcd storage; SQLite cannot be shared)')
    .option('--token <token>', 'the cluster\'s server token (with --server): the first server\'s DIR/token')
    .option('--etcd-client-port <n>', 'client port of the managed etcd member, the same on every server (--cluster-init, --server)', '2379')
    .option('--etcd-peer-port <n>', 'peer port of the managed etcd member (--cluster-init, --server)', '2380')
    .option('--token-ttl <duration>', 'lifetime of the join token in DIR/node-token (0: never expires, as k3s)', '0')
    .option('--uninstall', 'take this server off the host instead of running it (it must not be running): stop and remove the local node\'s pods, unmount their volumes, remove the pod network\'s routes and devices and the proxy\'s rules, then the whole data directory: the cluster\'s state, certificates and local-path volumes');
  addDnsFlags(addControllerManagerFlags(serverCmd, { allocateNodeCidrs: true })).action(async (flags: ServerFlags & AgentFlags & ControllerManagerFlags & DnsFlags & ClusterFlags & { uninstall?: boolean }) => {
    if (!flags.uninstall) return serve(flags, 'k8ts server', true);
    const dataDir = resolve(flags.dataDir);
    const { runUninstall } = await import('./uninstall.js');
    const ok = await runUninstall({ nodeName: (flags.nodeName ?? hostname()).toLowerCase(), runtime: flags.runtime, rootDir: join(dataDir, 'kubelet'), dirs: [dataDir], serverDataDir: dataDir });
    process.exitCode = ok ? 0 : 1;
  });
}

export function addApiServerCommand(program: Command): void {
  addApiServerFlags(program.command('apiserver').description('run the API server alone')).action((flags: ServerFlags) => serve(flags as ServerFlags & ControllerManagerFlags & DnsFlags, 'k8ts apiserver', false));
}
