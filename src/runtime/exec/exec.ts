// Running a command in a running container (kubectl exec, exec probes):
// nsenter into the namespaces of the container's process, including its
// own mount namespace (its volumes and the pod's /proc), join its cgroup,
// and exec with the container's environment and working directory.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { ExecOptions } from '../interface.js';
import { shq } from './run.js';

export interface ExecSpec {
  argv: string[];
  env: { name: string; value: string }[];
  workingDir?: string;
  /** The container's process and which namespaces are the pod's; absent under host isolation. */
  target?: { pid: number; namespaces: { pid: boolean; net: boolean; ipc: boolean; uts: boolean } };
  cgroupProcs: string[];
  io: ExecOptions;
}

export function execArgv(spec: ExecSpec): string[] {
  const join = spec.cgroupProcs.map((f) => `echo 0 > ${shq(f)}; `).join('');
  const inner = ['/bin/sh', '-c', `${join}exec "$@"`, 'sh', 'env', '-i', ...spec.env.map((e) => `${e.name}=${e.value}`), ...spec.argv];
  if (!spec.target) return inner;
  const t = spec.target;
  const args = ['nsenter', '-t', String(t.pid), '-m', '--wd'];
  if (t.namespaces.uts) args.push('-u');
  if (t.namespaces.ipc) args.push('-i');
  if (t.namespaces.net) args.push('-n');
  if (t.namespaces.pid) args.push('-p');
  return [...args, '--', ...inner];
}

export function execIn(spec: ExecSpec): Promise<number> {
  const argv = execArgv(spec);
  const { io } = spec;
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: [io.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      cwd: spec.target ? undefined : spec.workingDir,
      env: Object.fromEntries(spec.env.map((e) => [e.name, e.value])),
    });
    child.on('error', reject);
    if (io.stdin && child.stdin) {
      child.stdin.on('error', () => undefined);
      io.stdin.pipe(child.stdin);
    }
    const forward = (from: NodeJS.ReadableStream | null, to: NodeJS.WritableStream | undefined): void => {
      if (!from) return;
      if (to) from.on('data', (d: Buffer) => to.write(d));
      else from.resume();
    };
    forward(child.stdout, io.stdout);
    forward(child.stderr, io.stderr);
    child.on('close', (code, sig) => {
      if (io.stdin && child.stdin) io.stdin.unpipe(child.stdin);
      resolve(code ?? 128 + (sig ? constants.signals[sig] : 0));
    });
  });
}
