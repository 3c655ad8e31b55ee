import { Command } from 'commander';
import { KUBERNETES_VERSION } from '../apiserver/discovery.js';
import { holdYoungGeneration } from '../util/lean-start.js';

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
// The nursery is held at its initial size for the process's life (see lean-start.ts). A kubelet's
// live heap is small (16 MB with 100 pods) but a burst of pod starts grew its nursery to 2 × 16 MiB
// for good, a third of its RSS (kubelet CPU per pod measured the same either way: docs/benchmarks.md,
// Pod start-up); the API server's CPU per create measured the same either way too.
if (asked === 'server' || asked === 'apiserver' || asked === 'kubelet') holdYoungGeneration();
const only = asked !== undefined && Object.hasOwn(COMMANDS, asked) ? [asked] : Object.keys(COMMANDS);
for (const name of only) await COMMANDS[name]!(program);

program.parseAsync().catch((err: unknown) => {
  console.error(`k8ts: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
