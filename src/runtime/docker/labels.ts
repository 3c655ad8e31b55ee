// Docker has labels but no annotations, and the runtime needs a few private
// facts on each container (kind, sandbox, attempt, log path) to answer list
// and status calls from docker alone after a kubelet restart. All of it is
// folded into docker labels here and unfolded again on the way back.
import {
  LABEL_CONTAINER_NAME,
  LABEL_NODE_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  LABEL_SANDBOX,
  type PodSandboxMetadata,
} from '../interface.js';
import { SANDBOX_CONTAINER_NAME } from './naming.js';

/** 'podsandbox' or 'container' (dockershim's key, so docker ps filters read the same). */
export const LABEL_TYPE = 'io.kubernetes.docker.type';
export const TYPE_SANDBOX = 'podsandbox';
export const TYPE_CONTAINER = 'container';
export const LABEL_SANDBOX_ID = 'io.kubernetes.sandbox.id';
export const LABEL_ATTEMPT = 'io.k8ts.attempt';
export const LABEL_LOG_PATH = 'io.k8ts.log-path';
/** Annotations ride along as labels under this prefix (dockershim's convention). */
const ANNOTATION_PREFIX = 'annotation.';

const PRIVATE = new Set([LABEL_TYPE, LABEL_SANDBOX_ID, LABEL_ATTEMPT, LABEL_LOG_PATH]);

export interface SandboxLabelInput {
  metadata: PodSandboxMetadata;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  nodeName: string;
}

export function sandboxLabels(input: SandboxLabelInput): Record<string, string> {
  return {
    ...fold(input.labels, input.annotations),
    ...podIdentity(input.metadata, input.nodeName),
    [LABEL_CONTAINER_NAME]: SANDBOX_CONTAINER_NAME,
    [LABEL_SANDBOX]: 'true',
    [LABEL_TYPE]: TYPE_SANDBOX,
    [LABEL_ATTEMPT]: String(input.metadata.attempt),
  };
}

export interface ContainerLabelInput {
  sandboxId: string;
  pod: PodSandboxMetadata;
  container: { name: string; attempt: number };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logPath: string;
  nodeName: string;
}

export function containerLabels(input: ContainerLabelInput): Record<string, string> {
  return {
    ...fold(input.labels, input.annotations),
    ...podIdentity(input.pod, input.nodeName),
    [LABEL_CONTAINER_NAME]: input.container.name,
    [LABEL_TYPE]: TYPE_CONTAINER,
    [LABEL_SANDBOX_ID]: input.sandboxId,
    [LABEL_ATTEMPT]: String(input.container.attempt),
    [LABEL_LOG_PATH]: input.logPath,
  };
}

/** Splits docker labels back into the kubelet's labels and annotations, dropping private keys. */
export function unfold(dockerLabels: Record<string, string> | null | undefined): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(dockerLabels ?? {})) {
    if (k.startsWith(ANNOTATION_PREFIX)) annotations[k.slice(ANNOTATION_PREFIX.length)] = v;
    else if (!PRIVATE.has(k)) labels[k] = v;
  }
  return { labels, annotations };
}

export function sandboxMetadataFromLabels(l: Record<string, string> | null | undefined): PodSandboxMetadata {
  return {
    name: l?.[LABEL_POD_NAME] ?? '',
    namespace: l?.[LABEL_POD_NAMESPACE] ?? '',
    uid: l?.[LABEL_POD_UID] ?? '',
    attempt: attemptOf(l),
  };
}

export function containerMetadataFromLabels(l: Record<string, string> | null | undefined): { name: string; attempt: number } {
  return { name: l?.[LABEL_CONTAINER_NAME] ?? '', attempt: attemptOf(l) };
}

function attemptOf(l: Record<string, string> | null | undefined): number {
  const n = Number(l?.[LABEL_ATTEMPT] ?? 0);
  return Number.isFinite(n) ? n : 0;
}

function podIdentity(meta: PodSandboxMetadata, nodeName: string): Record<string, string> {
  return {
    [LABEL_POD_NAME]: meta.name,
    [LABEL_POD_NAMESPACE]: meta.namespace,
    [LABEL_POD_UID]: meta.uid,
    [LABEL_NODE_NAME]: nodeName,
  };
}

function fold(labels: Record<string, string>, annotations: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...labels };
  for (const [k, v] of Object.entries(annotations)) out[ANNOTATION_PREFIX + k] = v;
  return out;
}

/** Docker's `filters` query value for a set of label equalities. */
export function labelFilters(selector: Record<string, string>): string[] {
  return Object.entries(selector).map(([k, v]) => `${k}=${v}`);
}
