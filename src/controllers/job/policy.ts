import type { Pod } from '../shared/types.js';

// The Job controller's decisions that need no API: how many pods should
// run, whether a pod counts as failed, and how long to back off after
// failures (upstream's job_controller.go and backoff_utils.go).

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
export const DEFAULT_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 10 * 60_000;

export interface JobSpecView {
  parallelism?: number;
  completions?: number | null;
  completionMode?: 'NonIndexed' | 'Indexed';
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  suspend?: boolean;
  podFailurePolicy?: unknown;
}

/** Failed for accounting: phase Failed, or (without a pod failure policy) deleted before it succeeded. */
export function isPodFailed(p: Pod, spec: JobSpecView): boolean {
  if (p.status?.phase === 'Failed') return true;
  if (spec.podFailurePolicy) return false;
  return !!p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded';
}

export function isPodSucceeded(p: Pod): boolean {
  return p.status?.phase === 'Succeeded';
}

/** Pods the Job should be running now given how many have succeeded. */
export function wantActive(spec: JobSpecView, active: number, succeeded: number): number {
  const parallelism = spec.parallelism ?? 1;
  if (spec.completions === undefined || spec.completions === null) return succeeded > 0 ? active : parallelism;
  return Math.max(0, Math.min(spec.completions - succeeded, parallelism));
}

/** Delay before replacing failed pods: 10 s doubling per failure since the last success, at most 10 min. */
export function backoffRemainingMs(failuresSinceSuccess: number, lastFailureMs: number, nowMs: number): number {
  if (failuresSinceSuccess <= 0) return 0;
  const delay = Math.min(DEFAULT_BACKOFF_MS * 2 ** (failuresSinceSuccess - 1), MAX_BACKOFF_MS);
  return Math.max(0, lastFailureMs + delay - nowMs);
}

export function completionIndexOf(p: Pod): number | undefined {
  const v = p.metadata.annotations?.[COMPLETION_INDEX] ?? p.metadata.labels?.[COMPLETION_INDEX];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}
