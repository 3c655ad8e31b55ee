import { Command } from 'commander';
import { addApiServerFlags, runApiServer, type ServerFlags } from './server.js';
import { progress } from './progress.js';
import { KUBERNETES_VERSION } from '../apiserver/discovery.js';

function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (sig: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    progress(`${sig}: shutting down`);
    stop().then(
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

async function serve(flags: ServerFlags, what: string): Promise<void> {
  const cp = await runApiServer(flags);
  onSignals(cp.stop);
  progress(`${what} is ready (Kubernetes ${KUBERNETES_VERSION.gitVersion}): KUBECONFIG=${cp.kubeconfig} kubectl get ns`);
}

const program = new Command();
program.name('k8ts').description('Kubernetes, rebuilt in TypeScript: one small process runs a whole cluster').version(KUBERNETES_VERSION.gitVersion);

addApiServerFlags(
  program
    .command('server')
    .description('run the control plane (API server; scheduler, controllers, kubelet and proxy as they land) in one process')
    .option('--disable-agent', 'do not run a kubelet and proxy in this process'),
).action((flags: ServerFlags) => serve(flags, 'k8ts server'));

addApiServerFlags(program.command('apiserver').description('run the API server alone')).action((flags: ServerFlags) => serve(flags, 'k8ts apiserver'));

program.parseAsync().catch((err: unknown) => {
  console.error(`k8ts: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
