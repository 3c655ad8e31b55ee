// `kubectl attach` on Docker: the attach API on a hijacked connection
// (stream=1 gives only output from now on, not the log so far), resizes to
// /containers/{id}/resize, and the client's hang-up closes our end only:
// the container keeps running.
import type { AttachOptions } from '../interface.js';
import { RuntimeError } from '../interface.js';
import type { DockerClient } from './client.js';
import type { DockerContainerInspect } from './api-types.js';
import { mapped } from './errors.js';
import { forwardResizes, pump } from './exec.js';

export async function attachToContainer(client: DockerClient, containerId: string, opts: AttachOptions): Promise<void> {
  const path = `/containers/${encodeURIComponent(containerId)}`;
  const inspect = await mapped('NotFound', `inspect container ${containerId}`, () => client.call<DockerContainerInspect>('GET', `${path}/json`));
  if (!inspect.State.Running) throw new RuntimeError('NotFound', `container ${containerId} is not running`);
  const tty = inspect.Config.Tty;
  // Without OpenStdin docker would refuse stdin; the client then just gets output.
  const stdin = opts.stdin && (inspect.Config as { OpenStdin?: boolean }).OpenStdin ? opts.stdin : undefined;
  const q = new URLSearchParams({ stream: '1', stdin: stdin ? '1' : '0', stdout: opts.stdout ? '1' : '0', stderr: opts.stderr ? '1' : '0' });
  const { socket, head } = await mapped('StartFailed', `attach to container ${containerId}`, () => client.hijack(`${path}/attach?${q}`, undefined));
  let done = false;
  const detach = (): void => void socket.destroy();
  opts.signal?.addEventListener('abort', detach, { once: true });
  if (opts.signal?.aborted) detach();
  if (opts.resize && tty) void forwardResizes(client, `${path}/resize`, opts.resize, () => done);
  try {
    // Detaching must not close the container's stdin: the client's EOF only ends our side.
    await pump(socket, head, { stdin, stdout: opts.stdout, stderr: opts.stderr }, tty);
  } finally {
    done = true;
    opts.signal?.removeEventListener('abort', detach);
  }
}
