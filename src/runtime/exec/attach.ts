// A container's main process as `kubectl attach` sees it. Its stdin is a
// FIFO in the container's directory, held open for writing by a small
// process of its own (it outlives the kubelet, as the container does), so
// clients can attach one after another without the command seeing EOF;
// with stdinOnce the holder goes when the first client's input ends, and
// the command gets its EOF then. A tty container runs under util-linux
// `script`, which owns the terminal's master side; window changes are set
// on the terminal's slave side with `stty`, and the kernel tells the
// foreground process (SIGWINCH). Output is the container's raw stdout and
// stderr files, followed from their size at the moment of attaching.
import { spawn } from 'node:child_process';
import { createWriteStream, readlinkSync, watch, type FSWatcher } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AttachOptions } from '../interface.js';
import { procRef, type ProcRef } from './proc.js';
import { run, runOk } from './run.js';

export const stdinFifo = (dir: string): string => join(dir, 'stdin');

/** How long a window change waits for a starting command's terminal. */
const TERMINAL_WAIT_MS = 10_000;

/** Makes the stdin FIFO and starts the process that keeps a writer on it; its start time makes it ours on adoption. */
export async function openStdin(dir: string): Promise<ProcRef> {
  const fifo = stdinFifo(dir);
  await runOk('mkfifo', ['-m', '0600', fifo]);
  // Opening a FIFO read-write never blocks; the holder never reads, so every byte goes to the command.
  const child = spawn('/bin/sh', ['-c', 'exec sleep 2147483647 3<>"$1"', 'k8ts-stdin', fifo], { detached: true, stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
  const ref = child.pid ? procRef(child.pid) : undefined;
  if (!ref) throw new Error(`cannot start the holder of ${fifo}`);
  return ref;
}

/** The terminal a tty container's command has as its stdin (/dev/pts/N), looked up among its processes. */
export function findTerminal(pids: number[]): string | undefined {
  for (const pid of pids) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/0`);
      if (/^\/dev\/pts\/\d+$/.test(link)) return link;
    } catch {
      // exited meanwhile
    }
  }
  return undefined;
}

/** The container's terminal once its command has one, waiting up to TERMINAL_WAIT_MS; undefined if it never comes. */
async function terminalOf(find: () => string | undefined, signal: AbortSignal): Promise<string | undefined> {
  for (let waitedMs = 0; !signal.aborted; waitedMs += 50) {
    const pts = find();
    if (pts || waitedMs >= TERMINAL_WAIT_MS) return pts;
    await sleep(50);
  }
  return undefined;
}

export async function resizeTerminal(pts: string, width: number, height: number): Promise<void> {
  await run('stty', ['-F', pts, 'rows', String(height), 'cols', String(width)]);
}

export interface AttachTarget {
  /** The container's directory with its raw stdout/stderr files. */
  dir: string;
  /** The stdin FIFO while the container's stdin is open; undefined: the client's input is read and dropped. */
  stdin?: string;
  /** Called once the client's input ended (stdinOnce: the container's stdin closes now). */
  stdinEnded?: () => void;
  /** The container's terminal, for window changes (tty containers). */
  terminal?: () => string | undefined;
  exited(): boolean;
  /** Resolves at the runtime's next look at its containers, or when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void>;
}

const CHUNK = 64 * 1024;

/** Copies what a growing file gains past `offset` to `out`, honouring its back-pressure. */
class Tail {
  constructor(
    readonly path: string,
    readonly out: NodeJS.WritableStream,
    public offset: number,
  ) {}

  async drain(signal: AbortSignal): Promise<void> {
    const fh = await open(this.path, 'r').catch(() => undefined);
    if (!fh) return;
    try {
      const buf = Buffer.alloc(CHUNK);
      while (!signal.aborted) {
        const { bytesRead } = await fh.read(buf, 0, CHUNK, this.offset);
        if (bytesRead === 0) return;
        this.offset += bytesRead;
        if (!this.out.write(Buffer.from(buf.subarray(0, bytesRead)))) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              signal.removeEventListener('abort', done);
              (this.out as NodeJS.EventEmitter).removeListener('drain', done);
              resolve();
            };
            (this.out as NodeJS.EventEmitter).once('drain', done);
            signal.addEventListener('abort', done, { once: true });
          });
        }
      }
    } finally {
      await fh.close();
    }
  }
}

const sizeOf = async (path: string): Promise<number> => (await stat(path).catch(() => undefined))?.size ?? 0;

export async function attachStreams(t: AttachTarget, opts: AttachOptions): Promise<void> {
  const ac = new AbortController();
  const { signal } = ac;
  const tails: Tail[] = [];
  for (const [name, out] of [
    ['stdout', opts.stdout],
    ['stderr', opts.stderr],
  ] as const) {
    if (!out) continue;
    const path = join(t.dir, name);
    tails.push(new Tail(path, out, await sizeOf(path)));
    // The client went away.
    const gone = (): void => ac.abort();
    (out as NodeJS.EventEmitter).once('close', gone);
    (out as NodeJS.EventEmitter).once('error', gone);
    signal.addEventListener('abort', () => {
      (out as NodeJS.EventEmitter).removeListener('close', gone);
      (out as NodeJS.EventEmitter).removeListener('error', gone);
    });
  }

  let writer: ReturnType<typeof createWriteStream> | undefined;
  if (opts.stdin) {
    const input = opts.stdin;
    const ended = (): void => {
      t.stdinEnded?.();
      // With nothing to show, the client's input was all there was to this attach.
      if (!tails.length) ac.abort();
    };
    if (t.stdin) {
      writer = createWriteStream(t.stdin, { flags: 'w' });
      writer.on('error', () => input.unpipe(writer));
      // Closing our writer is not an EOF for the command while the holder keeps its own.
      writer.on('close', ended);
      input.pipe(writer);
    } else {
      input.on('end', ended);
      input.resume();
    }
  }

  if (opts.resize && t.terminal) {
    const terminal = t.terminal;
    void (async () => {
      try {
        for await (const size of opts.resize!) {
          if (signal.aborted) break;
          if (size.width <= 0 || size.height <= 0) continue;
          // A window change can come before `script` has started the command on its terminal (CI once
          // lost the first size that way): it waits for the terminal; sizes that came meanwhile follow in order.
          const pts = await terminalOf(terminal, signal);
          if (pts) await resizeTerminal(pts, size.width, size.height);
        }
      } catch {
        // the size stream failed; output and input go on
      }
    })();
  }

  // Output is written to files by the container; inotify says when they grow, the runtime's tick when it exits.
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(t.dir, () => wake?.());
    watcher.on('error', () => undefined);
  } catch {
    // no inotify: the runtime's tick is enough
  }
  let tick: Promise<void> | undefined;
  try {
    while (!signal.aborted) {
      const exited = t.exited();
      for (const tail of tails) await tail.drain(signal);
      if (exited) break;
      tick ??= t.changed(signal).then(() => {
        tick = undefined;
      });
      await Promise.race([tick, new Promise<void>((resolve) => (wake = resolve))]);
      wake = undefined;
    }
  } finally {
    watcher?.close();
    if (!signal.aborted) ac.abort();
    if (writer && opts.stdin) {
      opts.stdin.unpipe(writer);
      writer.end();
    }
  }
}
