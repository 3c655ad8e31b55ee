// `docker import` through the API: a root filesystem tar becomes a tagged
// image, with Dockerfile-style changes (ENTRYPOINT, CMD, ...) applied. This
// is how images are made on a node that reaches no registry.
import { Readable } from 'node:stream';
import { RuntimeError, type PullProgress } from '../interface.js';
import { DockerApiError, type DockerClient } from './client.js';
import { inspectImage } from './images.js';

/** 'repo/name:tag' → repo and tag (a registry port is not a tag). */
export function splitReference(ref: string): { repo: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}

/** Imports `rootfs` (an uncompressed tar) as `ref`; resolves with the image id. */
export async function importImage(
  client: DockerClient,
  ref: string,
  rootfs: Buffer,
  changes: string[],
  progress?: PullProgress,
): Promise<string> {
  const { repo, tag } = splitReference(ref);
  let failure: string | undefined;
  try {
    const res = await client.send('POST', '/images/create', {
      query: { fromSrc: '-', repo, tag, changes },
      stream: Readable.from([rootfs]),
    });
    let buffered = '';
    for await (const chunk of res) buffered += (chunk as Buffer).toString('utf8');
    for (const line of buffered.split(/\r?\n/)) {
      if (!line.trim()) continue;
      try {
        const msg = JSON.parse(line) as { status?: string; error?: string; errorDetail?: { message?: string } };
        if (msg.error || msg.errorDetail) failure = msg.errorDetail?.message ?? msg.error;
        else if (msg.status) progress?.(`Imported ${ref}: ${msg.status}`);
      } catch {
        // a progress line we cannot read is not a failure
      }
    }
  } catch (err) {
    if (err instanceof DockerApiError) failure = err.message;
    else throw err;
  }
  if (failure) throw new RuntimeError('PullFailed', `docker import of ${ref} failed: ${failure}`);
  const inspect = await inspectImage(client, ref);
  if (!inspect) throw new RuntimeError('PullFailed', `docker import of ${ref} reported success but the image is missing`);
  return inspect.Id;
}
