// Running a command in a running container (kubectl exec, exec probes):
// nsenter into the namespaces of the container's process, including its
// own mount namespace (its volumes and the pod's /proc), join its cgroup,
// and exec with the container's environment and working directory.
// Without a tty the command gets pipes; with one it gets a pseudo-terminal
// from node-pty and becomes the leader of a session of its own on it, so
// Ctrl-C and window changes reach it and not the nsenter in front of it.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { IPty } from 'node-pty';
import type { ExecOptions } from '../interface.js';
import { shq } from './run.js';

export interface ExecSpec {
  argv: string[];
  env: { name: string; value: string }[];
  workingDir?: string;
  /** The container's process and which namespaces are the pod's; absent under host isolation. */
  target?: { pid: number; namespaces: { pid: boolean; net: boolean; ipc: boolean; uts: boolean } };
  cgroupProcs: string[];
  /** The container's user and group: an exec runs as its main process does (Docker's default). */
  runAs?: { uid?: number; gid?: number };
  io: ExecOptions;
  /** Told the session's process group while it runs, so the runtime can end it with its container. */
  sessions?: Set<number>;
}

/** The terminal size a tty session starts with until the client says otherwise (a VT100's). */
const DEFAULT_SIZE = { width: 80, height: 24 };

/** Docker sets TERM for tty sessions unless the container's environment has one. */
export function execEnv(spec: ExecSpec): { name: string; value: string }[] {
  if (!spec.io.tty || spec.env.some((e) => e.name === 'TERM')) return spec.env;
  return [...spec.env, { name: 'TERM', value: 'xterm' }];
}

export function execArgv(spec: ExecSpec): string[] {
  const join = spec.cgroupProcs.map((f) => `echo 0 > ${shq(f)}; `).join('');
  // Entering a PID namespace makes nsenter fork: the command takes the terminal over (setsid -c) so the
  // line discipline's signals go to it alone and nsenter only relays its exit status.
  const own = spec.io.tty && spec.target?.namespaces.pid ? ['setsid', '-c'] : [];
  const user: string[] = [];
  if (spec.runAs?.uid !== undefined || spec.runAs?.gid !== undefined) {
    user.push('setpriv');
    if (spec.runAs.uid !== undefined) user.push(`--reuid=${spec.runAs.uid}`);
    if (spec.runAs.gid !== undefined) user.push(`--regid=${spec.runAs.gid}`);
    user.push('--clear-groups');
  }
  const inner = ['/bin/sh', '-c', `${join}exec "$@"`, 'sh', ...own, ...user, 'env', '-i', ...execEnv(spec).map((e) => `${e.name}=${e.value}`), ...spec.argv];
  if (!spec.target) return inner;
  const t = spec.target;
  const args = ['nsenter', '-t', String(t.pid), '-m', '--wd'];
  if (t.namespaces.uts) args.push('-u');
  if (t.namespaces.ipc) args.push('-i');
  if (t.namespaces.net) args.push('-n');
  if (t.namespaces.pid) args.push('-p');
  return [...args, '--', ...inner];
}

const exitCode = (code: number | null, sig: NodeJS.Signals | number | null | undefined): number => {
  if (code !== null && !sig) return code;
  if (typeof sig === 'number') return 128 + sig;
  return 128 + (sig ? constants.signals[sig] : 0);
};

export function execIn(spec: ExecSpec): Promise<number> {
  return spec.io.tty ? execTty(spec) : execPipes(spec);
}

function execPipes(spec: ExecSpec): Promise<number> {
  const argv = execArgv(spec);
  const { io } = spec;
  return new Promise((resolve, reject) => {
    // Its own process group: the runtime can signal the whole session, and nothing of the kubelet's reaches it.
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: [io.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      cwd: spec.target ? '/' : spec.workingDir,
      env: Object.fromEntries(spec.env.map((e) => [e.name, e.value])),
      detached: true,
    });
    const pid = child.pid;
    if (pid) spec.sessions?.add(pid);
    child.on('error', (err) => {
      if (pid) spec.sessions?.delete(pid);
      reject(err);
    });
    if (io.stdin && child.stdin) {
      child.stdin.on('error', () => undefined);
      // pipe() ends the command's stdin when the client's ends: `wc -c` finishes.
      io.stdin.pipe(child.stdin);
    }
    const forward = (from: NodeJS.ReadableStream | null, to: NodeJS.WritableStream | undefined): void => {
      if (!from) return;
      if (!to) {
        from.resume();
        return;
      }
      from.pipe(to, { end: false });
      // A client that went away must not stall the command on a full pipe: keep reading, drop the bytes.
      const gone = (): void => {
        from.unpipe(to);
        from.resume();
      };
      (to as NodeJS.EventEmitter).once('close', gone);
      (to as NodeJS.EventEmitter).once('error', gone);
      from.once('end', () => {
        (to as NodeJS.EventEmitter).removeListener('close', gone);
        (to as NodeJS.EventEmitter).removeListener('error', gone);
      });
    };
    forward(child.stdout, io.stdout);
    forward(child.stderr, io.stderr);
    child.on('close', (code, sig) => {
      if (pid) spec.sessions?.delete(pid);
      if (io.stdin && child.stdin) io.stdin.unpipe(child.stdin);
      resolve(exitCode(code, sig));
    });
  });
}

async function execTty(spec: ExecSpec): Promise<number> {
  // node-pty (a native addon and its JS) is loaded by the first tty exec, not by every kubelet.
  const { default: pty } = await import('node-pty');
  const argv = execArgv(spec);
  const { io } = spec;
  return new Promise((resolve, reject) => {
    let term: IPty;
    try {
      term = pty.spawn(argv[0]!, argv.slice(1), {
        name: 'xterm',
        cols: io.initialSize?.width || DEFAULT_SIZE.width,
        rows: io.initialSize?.height || DEFAULT_SIZE.height,
        cwd: spec.target ? '/' : (spec.workingDir ?? process.cwd()),
        env: Object.fromEntries(execEnv(spec).map((e) => [e.name, e.value])),
        encoding: null,
      });
    } catch (err) {
      reject(err as Error);
      return;
    }
    const pid = term.pid;
    spec.sessions?.add(pid);
    let exited = false;
    const out = io.stdout as (NodeJS.WritableStream & NodeJS.EventEmitter) | undefined;
    // A terminal has one output: stdout and stderr arrive together, as Docker's tty exec gives them.
    term.onData((d: Buffer | string) => {
      if (!out || exited) return;
      if (!out.write(d)) {
        term.pause();
        out.once('drain', () => term.resume());
      }
    });
    const onInput = (d: Buffer | string): void => {
      if (!exited) term.write(typeof d === 'string' ? d : Buffer.from(d));
    };
    // The end of the client's input is what typing ^D at the start of a line is: EOF to the reader.
    const onInputEnd = (): void => {
      if (!exited) term.write('\x04');
    };
    io.stdin?.on('data', onInput);
    io.stdin?.on('end', onInputEnd);
    // The client's terminal went away before the command ended: closing the master is a hang-up, as
    // when a terminal closes, and the kernel sends SIGHUP to the session that owns the terminal.
    const hangUp = (): void => {
      if (!exited) (term as unknown as { destroy(): void }).destroy();
    };
    out?.once('close', hangUp);
    if (io.resize) {
      void (async () => {
        try {
          for await (const size of io.resize!) {
            if (exited) break;
            if (size.width > 0 && size.height > 0) term.resize(size.width, size.height);
          }
        } catch {
          // the size stream failed or the terminal is gone; the session goes on at its last size
        }
      })();
    }
    term.onExit(({ exitCode: code, signal: sig }) => {
      exited = true;
      spec.sessions?.delete(pid);
      io.stdin?.removeListener('data', onInput);
      io.stdin?.removeListener('end', onInputEnd);
      out?.removeListener('close', hangUp);
      resolve(exitCode(code, sig));
    });
  });
}
