import { Command } from 'commander';
import { KUBERNETES_VERSION } from '../apiserver/discovery.js';
import { holdYoungGenerationUntilBusy } from '../util/lean-start.js';
import { assistMemoryReducerWhenIdle } from '../util/idle-reducer.js';

// The `k8ts` command. Each subcommand's module (and the component behind it)
// is loaded only when that subcommand runs, so `k8ts apiserver` does not
// carry the scheduler, controllers or kubelet in memory; help lists them all.

const program = new Command();
program.name('k8ts').description('Kubernetes, rebuilt in TypeScript: one small process runs a whole cluster').version(KUBERNETES_VERSION.gitVersion);

const COMMANDS: Record<string, (p: Command) => Promise<unknown>> = {
  server: async (p) => (await import('./serve.js')).addServerCommand(p),
  apiserver: async (p) => (await import('./serve.js')).addApiServerCommand(p),
  kubelet: async (p) => (await import('./kubelet.js')).addKubeletCommand(p),
  scheduler: async (p) => (await import('./scheduler.js')).addSchedulerCommand(p),
  'controller-manager': async (p) => (await import('./controller-manager.js')).addControllerManagerCommand(p),
  proxy: async (p) => (await import('./proxy.js')).addProxyCommand(p),
  agent: async (p) => (await import('./join-agent.js')).addJoinAgentCommand(p),
  'etcd-snapshot': async (p) => (await import('./etcd-snapshot.js')).addEtcdSnapshotCommand(p),
  'hollow-nodes': async (p) => (await import('./hollow-nodes.js')).addHollowNodesCommand(p),
};

const asked = process.argv[2];
// The nursery is held at its initial size while the process is idle, and let grow once it is busy
// (see lean-start.ts): idle, a third of an idle server's or kubelet's RSS was an empty nursery; busy,
// a held 1 MiB nursery cost the API server half again as much CPU per create.
// V8's memory reducer is helped to give start-up's garbage back once the process is quiet (idle-reducer.ts).
if (asked === 'server' || asked === 'apiserver' || asked === 'kubelet') {
  holdYoungGenerationUntilBusy();
  assistMemoryReducerWhenIdle();
}
const only = asked !== undefined && Object.hasOwn(COMMANDS, asked) ? [asked] : Object.keys(COMMANDS);
for (const name of only) await COMMANDS[name]!(program);

program.parseAsync().catch((err: unknown) => {
  console.error(`k8ts: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
