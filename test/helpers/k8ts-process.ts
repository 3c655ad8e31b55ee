import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// A `k8ts` command in its own process, as a person runs it: resolves once it
// prints that it is ready, and stop() sends SIGTERM and waits for the exit.

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface K8tsProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
  /** Settles with the exit code whenever the process ends, however it ends. */
  exited: Promise<number | null>;
}

/**
 * `ready`: what the command prints once it is up (servers say "is ready"; kubelets and hollow nodes say otherwise).
 * `netns`: run it inside that network namespace (`ip netns exec` replaces itself with k8ts, so stop() still signals k8ts).
 */
export function startK8ts(args: string[], ready: RegExp = /is ready/, o: { netns?: string } = {}): Promise<K8tsProcess> {
  const argv = [process.execPath, 'bin/k8ts.js', ...args];
  if (o.netns) argv.unshift('ip', 'netns', 'exec', o.netns);
  const child = spawn(argv[0]!, argv.slice(1), { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, K8TS_LOG_LEVEL: 'warn' } });
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const handle: K8tsProcess = {
    child,
    output: () => out,
    exited,
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', () => {
      if (ready.test(out)) resolve(handle);
    });
    child.once('exit', (code) => reject(new Error(`k8ts ${args.join(' ')} exited ${code}:\n${out}`)));
  });
}
