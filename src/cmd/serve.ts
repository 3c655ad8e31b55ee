import type { Command } from 'commander';
import { addApiServerFlags, runApiServer, type ServerFlags } from './server.js';
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

export async function serve(flags: ServerFlags & Partial<AgentFlags> & ControllerManagerFlags & DnsFlags, what: string, withComponents: boolean): Promise<void> {
  const parts: Stoppable[] = [];
  onSignals(parts);
  const cp = await runApiServer(flags);
  parts.push(cp);
  if (withComponents) {
    await ensureDefaultStorageClass(cp.kubeconfig);
    const cmClient = new RestClient(await componentClientConfig(cp.pki, cp.server, cp.dataDir, CONTROLLER_MANAGER), { component: 'kube-controller-manager', qps: 500, burst: 1000 });
    // A single server needs no election; several servers use `k8ts controller-manager` with --leader-elect.
    const cm = await runControllerManager({ ...flags, clusterCidr: flags.clusterCidr ?? DEFAULT_CLUSTER_CIDR, leaderElect: false, useServiceAccountCredentials: true, rootCaFile: flags.rootCaFile ?? join(cp.dataDir, 'pki', 'ca.crt') }, cmClient);
    parts.push({ stop: async () => { await cm.stop(); cmClient.close(); } });
    progress('controller manager started');
    const scheduler = await startScheduler({ clientConfig: await componentClientConfig(cp.pki, cp.server, cp.dataDir, SCHEDULER), leaderElect: false, qps: 5000, burst: 5000 });
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
  addDnsFlags(addControllerManagerFlags(serverCmd, { allocateNodeCidrs: true })).action((flags: ServerFlags & AgentFlags & ControllerManagerFlags & DnsFlags) => serve(flags, 'k8ts server', true));
}

export function addApiServerCommand(program: Command): void {
  addApiServerFlags(program.command('apiserver').description('run the API server alone')).action((flags: ServerFlags) => serve(flags as ServerFlags & ControllerManagerFlags & DnsFlags, 'k8ts apiserver', false));
}
