import { Command } from 'commander';
import { addApiServerFlags, runApiServer, type ServerFlags } from './server.js';
import { addAgentFlags, startAgent, type AgentFlags } from './agent.js';
import { addKubeletCommand } from './kubelet.js';
import { addHollowNodesCommand } from './hollow-nodes.js';
import { addSchedulerCommand, startScheduler } from './scheduler.js';
import { componentClientConfig, CONTROLLER_MANAGER, SCHEDULER } from './identities.js';
import { addControllerManagerCommand, addControllerManagerFlags, runControllerManager, type ControllerManagerFlags } from './controller-manager.js';
import { RestClient } from '../client/rest.js';
import { join } from 'node:path';
import { progress } from './progress.js';
import { KUBERNETES_VERSION } from '../apiserver/discovery.js';

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

async function serve(flags: ServerFlags & Partial<AgentFlags> & ControllerManagerFlags, what: string, withComponents: boolean): Promise<void> {
  const parts: Stoppable[] = [];
  onSignals(parts);
  const cp = await runApiServer(flags);
  parts.push(cp);
  if (withComponents) {
    const cmClient = new RestClient(await componentClientConfig(cp.pki, cp.server, cp.dataDir, CONTROLLER_MANAGER), { component: 'kube-controller-manager', qps: 500, burst: 1000 });
    // A single server needs no election; several servers use `k8ts controller-manager` with --leader-elect.
    const cm = await runControllerManager({ ...flags, leaderElect: false, useServiceAccountCredentials: true, rootCaFile: flags.rootCaFile ?? join(cp.dataDir, 'pki', 'ca.crt') }, cmClient);
    parts.push({ stop: async () => { await cm.stop(); cmClient.close(); } });
    progress('controller manager started');
    const scheduler = await startScheduler({ clientConfig: await componentClientConfig(cp.pki, cp.server, cp.dataDir, SCHEDULER), leaderElect: false, qps: 5000, burst: 5000 });
    parts.push(scheduler);
    progress('scheduler started');
    if (!flags.disableAgent) parts.push(await startAgent(cp, flags as AgentFlags));
  }
  progress(`${what} is ready (Kubernetes ${KUBERNETES_VERSION.gitVersion}): KUBECONFIG=${cp.kubeconfig} kubectl get ns`);
}

const program = new Command();
program.name('k8ts').description('Kubernetes, rebuilt in TypeScript: one small process runs a whole cluster').version(KUBERNETES_VERSION.gitVersion);

const serverCmd = addAgentFlags(addApiServerFlags(program.command('server').description('run the control plane (API server, controller manager, scheduler) and, unless --disable-agent, a kubelet for this host, in one process')));
addControllerManagerFlags(serverCmd).action((flags: ServerFlags & AgentFlags & ControllerManagerFlags) => serve(flags, 'k8ts server', true));

addApiServerFlags(program.command('apiserver').description('run the API server alone')).action((flags: ServerFlags) => serve(flags as ServerFlags & ControllerManagerFlags, 'k8ts apiserver', false));

addKubeletCommand(program);
addSchedulerCommand(program);
addControllerManagerCommand(program);
addHollowNodesCommand(program);

program.parseAsync().catch((err: unknown) => {
  console.error(`k8ts: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
