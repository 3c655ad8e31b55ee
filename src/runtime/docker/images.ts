// Image calls: pull with progress, inspect, remove. Pull failures keep the
// daemon's words, since they are what a person needs to fix the image name
// or the registry (the kubelet turns them into ErrImagePull events).
import { RuntimeError, type ImageInfo, type PullProgress } from '../interface.js';
import { logger } from '../../util/log.js';
import { DockerApiError, type DockerClient } from './client.js';
import type { DockerImageInspect } from './api-types.js';
import { isNotFound } from './errors.js';

const log = logger('runtime');

export async function inspectImage(client: DockerClient, image: string): Promise<DockerImageInspect | null> {
  try {
    return await client.call<DockerImageInspect>('GET', `/images/${encodeURIComponent(image)}/json`);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw mappedError(err, `inspect image ${image}`);
  }
}

export async function imageStatus(client: DockerClient, image: string): Promise<ImageInfo | null> {
  const inspect = await inspectImage(client, image);
  if (!inspect) return null;
  return { id: inspect.Id, repoTags: inspect.RepoTags ?? [], size: inspect.Size };
}

export async function removeImage(client: DockerClient, image: string): Promise<void> {
  try {
    await client.call('DELETE', `/images/${encodeURIComponent(image)}`);
  } catch (err) {
    if (isNotFound(err)) return;
    throw mappedError(err, `remove image ${image}`);
  }
}

/** Docker pulls every tag of a bare name, so a reference without tag or digest means :latest. */
export function pullQuery(image: string): { fromImage: string; tag?: string } {
  if (image.includes('@')) return { fromImage: image };
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? { fromImage: image } : { fromImage: image, tag: 'latest' };
}

interface PullMessage {
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
}

export async function pullImage(client: DockerClient, image: string, progress?: PullProgress): Promise<string> {
  log.info({ image }, 'pulling image');
  progress?.(`Pulling ${image}`);
  let res;
  try {
    res = await client.send('POST', '/images/create', { query: { ...pullQuery(image) } });
  } catch (err) {
    if (err instanceof DockerApiError) throw pullError(image, err.message, err.statusCode);
    throw err;
  }
  // The daemon answers 200 at once and reports failures inside the JSON stream.
  let failure: string | undefined;
  let buffered = '';
  const handle = (line: string): void => {
    if (!line.trim()) return;
    let msg: PullMessage;
    try {
      msg = JSON.parse(line) as PullMessage;
    } catch {
      return;
    }
    if (msg.error || msg.errorDetail?.message) {
      failure = msg.errorDetail?.message ?? msg.error;
      return;
    }
    const text = [msg.id ? `${msg.id}:` : '', msg.status ?? '', msg.progress ?? ''].filter(Boolean).join(' ');
    if (text) progress?.(text);
  };
  for await (const chunk of res) {
    buffered += (chunk as Buffer).toString('utf8');
    const lines = buffered.split(/\r?\n/);
    buffered = lines.pop() ?? '';
    lines.forEach(handle);
  }
  handle(buffered);
  if (failure) throw pullError(image, failure, 500);

  const inspect = await inspectImage(client, image);
  if (!inspect) throw new RuntimeError('PullFailed', `pulled ${image} but the daemon does not know it afterwards`);
  progress?.(`Pulled ${image} (${inspect.Id})`);
  return inspect.Id;
}

function pullError(image: string, message: string, status: number): RuntimeError {
  const notFound = status === 404 || /not found|manifest unknown|pull access denied|does not exist|repository .* not found/i.test(message);
  log.warn({ image, err: message }, 'image pull failed');
  return new RuntimeError(notFound ? 'ImageNotFound' : 'PullFailed', `failed to pull image ${JSON.stringify(image)}: ${message}`);
}

function mappedError(err: unknown, what: string): Error {
  if (err instanceof DockerApiError) {
    return new RuntimeError(err.statusCode < 500 ? 'InvalidConfig' : 'Unavailable', `${what}: ${err.message}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}
