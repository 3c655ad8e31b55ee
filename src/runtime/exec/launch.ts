// Starting a container's process. A small shell supervisor runs the
// command and writes its exit status to a file, so the status survives a
// kubelet restart (the supervisor is not the kubelet's child for long); the
// command itself moves into the container's cgroup and becomes leader of a
// new process group before it is exec'd, so stopping it reaches its whole
// tree and never the supervisor. Output goes to plain files for the same
// reason: nothing the container writes depends on this process being alive.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Mount } from '../interface.js';
import { DEFAULT_PATH } from './command.js';
import { childrenOf, isAlive, procRef, type ProcRef } from './proc.js';
import { shq } from './run.js';

export interface LaunchSpec {
  containerDir: string;
  name: string;
  argv: string[];
  env: { name: string; value: string }[];
  workingDir?: string;
  /** cgroup.procs files to join; empty without cgroups. */
  cgroupProcs: string[];
  /** Bind mounts (only with a private mount namespace, i.e. namespaces isolation). */
  mounts: Mount[];
  runAs?: { uid?: number; gid?: number };
  /** nsenter/unshare prefix that puts the supervisor into the pod's namespaces; empty for host isolation. */
  enter: string[];
  /** A FIFO the command reads as its stdin (containers with stdin or tty); /dev/null otherwise. */
  stdinPath?: string;
  /** Run the command on a pseudo-terminal of its own (util-linux `script` holds the master side). */
  tty?: boolean;
}

export interface Launched {
  supervisor: ProcRef;
  /** The command's process, when it was still there to be found. */
  main?: ProcRef;
  /** Called when the supervisor (our child) exits, to look at the container at once. */
  onExit(fn: () => void): void;
}

export const exitFile = (dir: string): string => join(dir, 'exit');
/** Written by the container's process once set up, just before it execs the command: start returns after that, as runc's does. */
export const startedFile = (dir: string): string => join(dir, 'started');
export const pgidFile = (dir: string): string => join(dir, 'pgid');

/** The command's process group, as the supervisor saw it (host pids under host isolation). */
export function readPgid(dir: string): number | undefined {
  try {
    const n = Number(readFileSync(pgidFile(dir), 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export const rawLog = (dir: string, stream: 'stdout' | 'stderr'): string => join(dir, stream);

/** Exit code 128 + n for setup failures before the command ran, in line with how shells report them. */
export function supervisorScript(spec: LaunchSpec): string {
  const lines = [`# k8ts: supervises container ${spec.name}; its exit status outlives the kubelet.`, '('];
  for (const f of spec.cgroupProcs) lines.push(`  echo 0 > ${shq(f)} || { echo "k8ts: cannot join cgroup ${f}" >&2; exit 126; }`);
  for (const m of [...spec.mounts].sort((a, b) => a.containerPath.split('/').length - b.containerPath.split('/').length)) {
    lines.push(`  mount --bind ${shq(m.hostPath)} ${shq(m.containerPath)} || exit 126`);
    if (m.readOnly) lines.push(`  mount -o remount,bind,ro ${shq(m.containerPath)} || exit 126`);
  }
  if (spec.workingDir) lines.push(`  cd ${shq(spec.workingDir)} || exit 126`);
  lines.push(`  : > ${shq(startedFile(spec.containerDir))}`);
  const cmd = ['exec', 'setsid'];
  if (spec.runAs?.uid !== undefined || spec.runAs?.gid !== undefined) {
    cmd.push('setpriv');
    if (spec.runAs.uid !== undefined) cmd.push(`--reuid=${spec.runAs.uid}`);
    if (spec.runAs.gid !== undefined) cmd.push(`--regid=${spec.runAs.gid}`);
    cmd.push('--clear-groups');
  }
  const words = ['env', '-i', ...spec.env.map((e) => `${e.name}=${e.value}`), ...spec.argv].map(shq);
  // `script` relays the FIFO into the terminal's master and the terminal's output into the log file; it
  // exits with the command's status (-e) and writes no banner (-q) and no typescript (/dev/null).
  if (spec.tty) lines.push(`  ${cmd.join(' ')} script -qfec ${shq(words.join(' '))} /dev/null`);
  else lines.push(`  ${cmd.join(' ')} ${words.join(' ')}`);
  lines.push(`) < ${spec.stdinPath ? shq(spec.stdinPath) : '/dev/null'} &`);
  // The command's pid is its process group's id (setsid): how its tree is found without a cgroup.
  lines.push(`echo $! > ${shq(pgidFile(spec.containerDir))}`);
  lines.push('wait $!');
  lines.push('rc=$?');
  const exit = exitFile(spec.containerDir);
  lines.push(`echo $rc > ${shq(`${exit}.tmp`)} && mv ${shq(`${exit}.tmp`)} ${shq(exit)}`);
  return lines.join('\n') + '\n';
}

/** Makes sure every mount target exists, creating what is missing; returns what it created (to remove later). */
export async function prepareMountPoints(mounts: Mount[]): Promise<string[]> {
  const created: string[] = [];
  for (const m of mounts) {
    if (existsSync(m.containerPath)) continue;
    let top = m.containerPath;
    while (!existsSync(dirname(top))) top = dirname(top);
    const isDir = (() => {
      try {
        return statSync(m.hostPath).isDirectory();
      } catch {
        return true;
      }
    })();
    if (isDir) await mkdir(m.containerPath, { recursive: true });
    else {
      await mkdir(dirname(m.containerPath), { recursive: true });
      await writeFile(m.containerPath, '', { flag: 'a' });
    }
    created.push(top);
  }
  return created;
}

/** How long start waits for the container's setup (cgroup, mounts) to finish. */
const SETUP_WAIT_MS = 10_000;

export async function launch(spec: LaunchSpec): Promise<Launched> {
  const script = join(spec.containerDir, 'run.sh');
  await writeFile(script, supervisorScript(spec));
  const out = openSync(rawLog(spec.containerDir, 'stdout'), 'a');
  const err = openSync(rawLog(spec.containerDir, 'stderr'), 'a');
  const argv = [...spec.enter, '/bin/sh', script];
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', out, err], env: { PATH: DEFAULT_PATH } });
  closeSync(out);
  closeSync(err);
  const listeners: (() => void)[] = [];
  let exited = false;
  const done = (): void => {
    exited = true;
    for (const fn of listeners.splice(0)) fn();
  };
  child.on('exit', done);
  child.on('error', done);
  // The supervisor must outlive this process: nothing here may keep it (or be kept by it).
  child.unref();
  const supervisor = child.pid ? procRef(child.pid) : undefined;
  if (!supervisor) throw new Error(`cannot start ${argv[0]}`);
  // Host: sh → command. With a PID namespace: nsenter → (fork) unshare exec'ing sh → command; without, nsenter execs.
  const depth = spec.enter.some((a) => a.startsWith('--pid')) ? 2 : 1;
  let main: ProcRef | undefined;
  const deadline = Date.now() + SETUP_WAIT_MS;
  while (!exited && !existsSync(startedFile(spec.containerDir)) && !existsSync(exitFile(spec.containerDir)) && Date.now() < deadline) await sleep(2);
  if (!exited) {
    let pids = [supervisor.pid];
    for (let i = 0; i < depth && pids.length; i++) pids = childrenOf(pids[0]!);
    if (pids.length) main = procRef(pids[0]!);
  }
  return {
    supervisor,
    main: main && isAlive(main) ? main : undefined,
    onExit(fn) {
      if (exited) fn();
      else listeners.push(fn);
    },
  };
}
