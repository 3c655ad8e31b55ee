import { Command } from 'commander';
import { addApiServerFlags, runApiServer, type ServerFlags } from './server.js';
import { addAgentFlags, startAgent, type AgentFlags } from './agent.js';
import { addKubeletCommand } from './kubelet.js';
import { addSchedulerCommand, startScheduler } from './scheduler.js';
import { componentClientConfig, SCHEDULER } from './identities.js';
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

async function serve(flags: ServerFlags & Partial<AgentFlags>, what: string, withComponents: boolean): Promise<void> {
  const parts: Stoppable[] = [];
  onSignals(parts);
  const cp = await runApiServer(flags);
  parts.push(cp);
  if (withComponents) {
    // One server, one scheduler: no election needed (HA servers pass --leader-elect through their own commands).
    const scheduler = await startScheduler({ clientConfig: await componentClientConfig(cp.pki, cp.server, cp.dataDir, SCHEDULER), leaderElect: false, qps: 5000, burst: 5000 });
    parts.push(scheduler);
    progress('scheduler started');
    if (!flags.disableAgent) parts.push(await startAgent(cp, flags as AgentFlags));
  }
  progress(`${what} is ready (Kubernetes ${KUBERNETES_VERSION.gitVersion}): KUBECONFIG=${cp.kubeconfig} kubectl get ns`);
}

const program = new Command();
program.name('k8ts').description('Kubernetes, rebuilt in TypeScript: one small process runs a whole cluster').version(KUBERNETES_VERSION.gitVersion);

addAgentFlags(
  addApiServerFlags(program.command('server').description('run the control plane and, unless --disable-agent, a kubelet for this host, in one process')),
).action((flags: ServerFlags & AgentFlags) => serve(flags, 'k8ts server', true));

addApiServerFlags(program.command('apiserver').description('run the API server alone')).action((flags: ServerFlags) => serve(flags, 'k8ts apiserver', false));

addKubeletCommand(program);
addSchedulerCommand(program);

program.parseAsync().catch((err: unknown) => {
  console.error(`k8ts: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
