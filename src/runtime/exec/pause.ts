// The pod's "root container" without Docker: `unshare` creates the pod's
// namespaces and forks the pause script as PID 1 of the new PID namespace.
// The unshare process stays behind in the new mount/UTS/IPC/network
// namespaces waiting on pause, so its /proc/<pid>/ns/* (and
// ns/pid_for_children) are the handles containers join with nsenter.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError } from '../interface.js';
import { DEFAULT_PATH } from './command.js';
import { childrenOf, isAlive, procRef, signal, type ProcRef } from './proc.js';

/**
 * PID 1 of a pod: sets the pod's hostname in its UTS namespace, says it is
 * ready, reaps orphans (ash/dash `wait` collects any child) and exits 0 on
 * SIGTERM, taking its sleep along so nothing is left when the pod has no
 * PID namespace of its own.
 */
export const EXEC_PAUSE_SCRIPT = `# k8ts pause: holds the pod's namespaces.
if [ -n "$K8TS_HOSTNAME" ]; then printf %s "$K8TS_HOSTNAME" > /proc/sys/kernel/hostname || exit 1; fi
: > "$K8TS_READY"
trap 'kill $! 2>/dev/null; exit 0' TERM INT
while :; do
  sleep 2147483647 &
  wait $!
done
`;

export interface PauseSpec {
  rootDir: string;
  sandboxDir: string;
  hostname: string;
  namespaces: { pid: boolean; net: boolean; ipc: boolean; uts: boolean };
}

export interface RunningPause {
  holder: ProcRef;
  pause: ProcRef;
}

const READY_WAIT_MS = 10_000;

export async function startPause(spec: PauseSpec): Promise<RunningPause> {
  const script = join(spec.rootDir, 'pause.sh');
  if (!existsSync(script)) await writeFile(script, EXEC_PAUSE_SCRIPT, { mode: 0o644 });
  const ready = join(spec.sandboxDir, 'ready');
  await rm(ready, { force: true });
  const ns = spec.namespaces;
  const args = ['--mount', '--propagation', 'private'];
  if (ns.pid) args.push('--pid', '--fork', '--mount-proc');
  if (ns.uts) args.push('--uts');
  if (ns.ipc) args.push('--ipc');
  if (ns.net) args.push('--net');
  args.push('--', '/bin/sh', script);
  const log = openSync(join(spec.sandboxDir, 'pause.log'), 'a');
  const env: NodeJS.ProcessEnv = { PATH: DEFAULT_PATH, K8TS_READY: ready };
  if (ns.uts) env.K8TS_HOSTNAME = spec.hostname;
  let exited = false;
  const child = spawn('unshare', args, { detached: true, stdio: ['ignore', log, log], env });
  closeSync(log);
  child.on('exit', () => (exited = true));
  child.on('error', () => (exited = true));
  child.unref();
  const holder = child.pid ? procRef(child.pid) : undefined;
  const fail = async (why: string): Promise<never> => {
    if (holder) signal(holder.pid, 'SIGKILL');
    const out = (await readFile(join(spec.sandboxDir, 'pause.log'), 'utf8').catch(() => '')).trim();
    throw new RuntimeError('StartFailed', `pause process for pod sandbox: ${why}${out ? `: ${out}` : ''}`);
  };
  if (!holder) return fail('unshare did not start');
  const deadline = Date.now() + READY_WAIT_MS;
  while (!existsSync(ready)) {
    if (exited || !isAlive(holder)) return fail('exited before it was ready');
    if (Date.now() > deadline) return fail('not ready after 10s');
    await sleep(5);
  }
  await rm(ready, { force: true });
  // With a PID namespace, unshare forked the pause; without one it became it.
  const pausePid = ns.pid ? childrenOf(holder.pid)[0] : holder.pid;
  const pause = pausePid ? procRef(pausePid) : undefined;
  if (!pause) return fail('pause process not found');
  return { holder, pause };
}

/** SIGTERM to pause (it exits 0 and the kernel ends what is left in its PID namespace); SIGKILL if it lingers. */
export async function stopPause(pause: ProcRef | undefined, holder: ProcRef | undefined, graceMs = 2000): Promise<void> {
  if (pause && isAlive(pause)) signal(pause.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while ((isAlive(pause) || isAlive(holder)) && Date.now() < deadline) await sleep(10);
  for (let i = 0; i < 500 && (isAlive(pause) || isAlive(holder)); i++) {
    if (isAlive(pause)) signal(pause!.pid, 'SIGKILL');
    if (isAlive(holder)) signal(holder!.pid, 'SIGKILL');
    await sleep(10);
  }
}
