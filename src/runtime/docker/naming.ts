// Docker container names as dockershim chose them, so `docker ps` reads
// like on a dockershim node: k8s_<container>_<pod>_<namespace>_<uid>_<attempt>,
// with POD as the container name of the sandbox. Names are for people; the
// runtime identifies its objects by labels, never by parsing names.
import { randomBytes } from 'node:crypto';
import type { PodSandboxMetadata } from '../interface.js';

const PREFIX = 'k8s';
export const SANDBOX_CONTAINER_NAME = 'POD';

export function sandboxName(meta: PodSandboxMetadata): string {
  return [PREFIX, SANDBOX_CONTAINER_NAME, meta.name, meta.namespace, meta.uid, String(meta.attempt)].join('_');
}

export function containerName(container: { name: string; attempt: number }, pod: PodSandboxMetadata): string {
  return [PREFIX, container.name, pod.name, pod.namespace, pod.uid, String(container.attempt)].join('_');
}

/** A name that cannot collide with a leftover container of the same pod and attempt. */
export function randomizeName(name: string): string {
  return `${name}_${randomBytes(4).toString('hex')}`;
}
