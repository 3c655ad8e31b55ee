import type { Command } from 'commander';
import { addApiServerFlags, resolveStorage, runApiServer, type ServerFlags } from './server.js';
import { addAgentFlags, startAgent, type AgentFlags } from './agent.js';
import { startScheduler } from './scheduler.js';
import { componentClientConfig, CONTROLLER_MANAGER, SCHEDULER } from './identities.js';
import { addControllerManagerFlags, runControllerManager, type ControllerManagerFlags } from './controller-manager.js';
import { RestClient } from '../client/rest.js';
import { join } from 'node:path';
import { progress } from './progress.js';
import { KUBERNETES_VERSION } from '../apiserver/discovery.js';
import { addDnsFlags, startDnsAddon, type DnsFlags } from './dns.js';
import { ensureDefaultStorageClass } from './default-storage.js';

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
}

export async function serve(flags: ServerFlags & Partial<AgentFlags> & ControllerManagerFlags & DnsFlags & ClusterFlags, what: string, withComponents: boolean): Promise<void> {
  flags.storage = resolveStorage(flags);
  if (flags.clusterInit || flags.server) {
    throw new Error('managed etcd (--cluster-init, --server) is not available yet: run an etcd cluster and start each server with --storage etcd --etcd-endpoints URL,... (see README, "High availability")');
  }
  const parts: Stoppable[] = [];
  onSignals(parts);
  const cp = await runApiServer(flags);
  parts.push(cp);
  if (withComponents) {
    await ensureDefaultStorageClass(cp.kubeconfig);
    const cmClient = new RestClient(await componentClientConfig(cp.pki, cp.server, cp.dataDir, CONTROLLER_MANAGER), { component: 'kube-controller-manager', qps: 500, burst: 1000 });
    // Over etcd several servers may share the cluster: the controller manager and the scheduler are
    // leader-elected (upstream's --leader-elect*, on by default). SQLite has exactly one server: no election.
    const leaderElect = flags.storage === 'etcd' && flags.leaderElect !== false;
    const cm = await runControllerManager({ ...flags, leaderElect, useServiceAccountCredentials: true, rootCaFile: flags.rootCaFile ?? join(cp.dataDir, 'pki', 'ca.crt') }, cmClient);
    parts.push({ stop: async () => { await cm.stop(); cmClient.close(); } });
    progress(`controller manager started (identity ${cm.identity}${leaderElect ? ', leader-elected' : ''})`);
    const election = { leaseDuration: String(flags.leaderElectLeaseDuration), renewDeadline: String(flags.leaderElectRenewDeadline), retryPeriod: String(flags.leaderElectRetryPeriod) };
    const scheduler = await startScheduler({ clientConfig: await componentClientConfig(cp.pki, cp.server, cp.dataDir, SCHEDULER), config: { leaderElection: election }, leaderElect, qps: 5000, burst: 5000 });
    parts.push(scheduler);
    progress('scheduler started');
    const dns = flags.disableDns ? undefined : await startDnsAddon(cp, flags);
    if (dns) parts.push(dns);
    if (!flags.disableAgent) parts.push(await startAgent(cp, flags as AgentFlags, dns ? { clusterDNS: [dns.clusterIP], clusterDomain: dns.clusterDomain } : { clusterDNS: [], clusterDomain: flags.clusterDomain }));
  }
  progress(`${what} is ready (Kubernetes ${KUBERNETES_VERSION.gitVersion}): KUBECONFIG=${cp.kubeconfig} kubectl get ns`);
}

export function addServerCommand(program: Command): void {
  const serverCmd = addAgentFlags(addApiServerFlags(program.command('server').description('run the control plane (API server, controller manager, scheduler) and, unless --disable-agent, a kubelet for this host, in one process')));
  serverCmd
    .option('--cluster-init', 'start a new highly available cluster on a managed etcd (needs etcd storage; SQLite cannot be shared)')
    .option('--server <url>', 'join the highly available cluster of this server (needs etcd storage; SQLite cannot be shared)')
    .option('--token <token>', 'the cluster\'s server token (with --server)');
  addDnsFlags(addControllerManagerFlags(serverCmd)).action((flags: ServerFlags & AgentFlags & ControllerManagerFlags & DnsFlags & ClusterFlags) => serve(flags, 'k8ts server', true));
}

export function addApiServerCommand(program: Command): void {
  addApiServerFlags(program.command('apiserver').description('run the API server alone')).action((flags: ServerFlags) => serve(flags as ServerFlags & ControllerManagerFlags & DnsFlags, 'k8ts apiserver', false));
}
