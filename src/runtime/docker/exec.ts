// `docker exec` over the API: create the exec, start it on a hijacked
// connection (stdin goes up the socket, output comes back multiplexed unless
// there is a tty), forward terminal resizes, then read the exit code.
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecOptions } from '../interface.js';
import { logger } from '../../util/log.js';
import { DockerApiError, type DockerClient } from './client.js';
import type { DockerExecInspect } from './api-types.js';
import { Demuxer } from './demux.js';
import { mapped } from './errors.js';

const log = logger('runtime');

export async function execInContainer(client: DockerClient, containerId: string, opts: ExecOptions): Promise<number> {
  const tty = !!opts.tty;
  const size = tty ? opts.initialSize : undefined;
  const sized = size && size.width > 0 && size.height > 0 && (await hasShell(client, containerId));
  const created = await mapped('StartFailed', `exec in container ${containerId}`, () =>
    client.call<{ Id: string }>('POST', `/containers/${encodeURIComponent(containerId)}/exec`, {
      body: { AttachStdin: !!opts.stdin, AttachStdout: true, AttachStderr: true, Tty: tty, Cmd: sized ? withTerminalSize(opts.cmd, size) : opts.cmd },
    }),
  );
  const execId = created.Id;
  const { socket, head } = await mapped('StartFailed', `start exec in container ${containerId}`, () =>
    client.hijack(`/exec/${execId}/start`, { Detach: false, Tty: tty }),
  );

  let done = false;
  // Not awaited: the caller's resize source may never end on its own.
  // Without the shell to set it, the first size goes in as a resize right after the start: the daemon applies
  // it as soon as the process exists, which a command that reads its size at once may still beat.
  const sizes = size && !sized ? prepend(size, opts.resize) : opts.resize;
  if (sizes) void forwardResizes(client, `/exec/${execId}/resize`, sizes, () => done);
  try {
    await pump(socket, head, opts, tty);
  } finally {
    done = true;
  }
  return exitCode(client, execId);
}

/**
 * Docker's exec gives its tty a size only from API 1.42 (ConsoleSize) on; before that the terminal opens
 * at 0×0 and a resize can land only once the process runs, after it may have read its size. So a sized
 * tty exec runs its command through the container's shell, which sets the size on the terminal and then
 * replaces itself with the command: same process, arguments and environment, the size there first.
 */
export function withTerminalSize(cmd: string[], size: { width: number; height: number }): string[] {
  return ['/bin/sh', '-c', 'stty rows "$1" cols "$2" 2>/dev/null; shift 2; exec "$@"', 'sh', String(size.height), String(size.width), ...cmd];
}

/** hasShell's answers by container ID: an image's /bin/sh does not come and go, and a tty exec should not pay a daemon call for it each time. */
const shells = new Map<string, boolean>();
const MAX_SHELLS = 4096;

/** Whether the container has /bin/sh (a distroless image has none: its tty gets the size by resize only). */
async function hasShell(client: DockerClient, containerId: string): Promise<boolean> {
  const known = shells.get(containerId);
  if (known !== undefined) return known;
  let found: boolean;
  try {
    const res = await client.send('HEAD', `/containers/${encodeURIComponent(containerId)}/archive`, { query: { path: '/bin/sh' } });
    res.resume();
    found = true;
  } catch (err) {
    // Only the daemon's "no such path" is an answer worth keeping; anything else is asked again next time.
    if (!(err instanceof DockerApiError && err.statusCode === 404)) return false;
    found = false;
  }
  if (shells.size >= MAX_SHELLS) shells.delete(shells.keys().next().value!);
  shells.set(containerId, found);
  return found;
}

async function* prepend<T>(first: T, rest: AsyncIterable<T> | undefined): AsyncIterable<T> {
  yield first;
  if (rest) yield* rest;
}

/** Copies the socket's output to the caller's streams and stdin to the socket; resolves when the process ends. */
export function pump(socket: Socket, head: Buffer, opts: Pick<ExecOptions, 'stdin' | 'stdout' | 'stderr'>, tty: boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const write = (target: NodeJS.WritableStream | undefined, data: Buffer): void => {
      // Output nobody asked for is read and dropped, so the process never blocks on it.
      if (!target || !data.length) return;
      if (!target.write(data)) {
        socket.pause();
        target.once('drain', () => socket.resume());
      }
    };
    const demux = new Demuxer((stream, payload) => write(stream === 'stderr' ? opts.stderr : opts.stdout, payload));
    const onData = (chunk: Buffer): void => (tty ? write(opts.stdout, chunk) : demux.push(chunk));

    const stdin = opts.stdin;
    const stopStdin = (): void => {
      if (!stdin) return;
      stdin.removeListener('data', onStdin);
      stdin.removeListener('end', onStdinEnd);
    };
    const onStdin = (chunk: Buffer | string): void => {
      if (!socket.destroyed && !socket.write(chunk)) {
        stdin?.pause();
        socket.once('drain', () => stdin?.resume());
      }
    };
    // Half-close: docker then closes the process's stdin and keeps streaming its output.
    const onStdinEnd = (): void => {
      if (!socket.destroyed) socket.end();
    };

    socket.on('data', onData);
    socket.once('error', (err) => {
      stopStdin();
      // A reset after the process ended is how some daemons close hijacked streams.
      if ((err as NodeJS.ErrnoException).code === 'ECONNRESET') resolve();
      else reject(err);
    });
    socket.once('close', () => {
      stopStdin();
      resolve();
    });
    if (head.length) onData(head);
    if (stdin) {
      stdin.on('data', onStdin);
      stdin.once('end', onStdinEnd);
      stdin.resume?.();
    }
  });
}

export async function forwardResizes(
  client: DockerClient,
  resizePath: string,
  sizes: AsyncIterable<{ width: number; height: number }>,
  isDone: () => boolean,
): Promise<void> {
  try {
    for await (const { width, height } of sizes) {
      if (isDone()) break;
      try {
        await client.call('POST', resizePath, { query: { h: height, w: width } });
      } catch (err) {
        log.debug({ resizePath, err: (err as Error).message }, 'resize failed');
      }
    }
  } catch (err) {
    log.debug({ resizePath, err: (err as Error).message }, 'resize source failed');
  }
}

/** The stream closes a moment before docker records the exit code, so look until it has. */
async function exitCode(client: DockerClient, execId: string): Promise<number> {
  for (let i = 0; ; i++) {
    const info = await mapped('Unavailable', `inspect exec ${execId}`, () =>
      client.call<DockerExecInspect>('GET', `/exec/${execId}/json`),
    );
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    if (i >= 200) return info.ExitCode ?? -1;
    await sleep(Math.min(5 * (i + 1), 50));
  }
}
