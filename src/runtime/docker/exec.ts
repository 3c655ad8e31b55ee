// `docker exec` over the API: create the exec, start it on a hijacked
// connection (stdin goes up the socket, output comes back multiplexed unless
// there is a tty), forward terminal resizes, then read the exit code.
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecOptions } from '../interface.js';
import { logger } from '../../util/log.js';
import type { DockerClient } from './client.js';
import type { DockerExecInspect } from './api-types.js';
import { Demuxer } from './demux.js';
import { mapped } from './errors.js';

const log = logger('runtime');

export async function execInContainer(client: DockerClient, containerId: string, opts: ExecOptions): Promise<number> {
  const tty = !!opts.tty;
  const created = await mapped('StartFailed', `exec in container ${containerId}`, () =>
    client.call<{ Id: string }>('POST', `/containers/${encodeURIComponent(containerId)}/exec`, {
      body: { AttachStdin: !!opts.stdin, AttachStdout: true, AttachStderr: true, Tty: tty, Cmd: opts.cmd },
    }),
  );
  const execId = created.Id;
  const { socket, head } = await mapped('StartFailed', `start exec in container ${containerId}`, () =>
    client.hijack(`/exec/${execId}/start`, { Detach: false, Tty: tty }),
  );

  let done = false;
  // Not awaited: the caller's resize source may never end on its own.
  if (opts.resize) void forwardResizes(client, `/exec/${execId}/resize`, opts.resize, () => done);
  try {
    await pump(socket, head, opts, tty);
  } finally {
    done = true;
  }
  return exitCode(client, execId);
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
