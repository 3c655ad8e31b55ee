// Turns daemon answers into the seam's RuntimeError codes, keeping Docker's
// own message: the kubelet shows it to people in events and statuses.
import { RuntimeError, type RuntimeErrorCode } from '../interface.js';
import { DockerApiError } from './client.js';

export function isNotFound(err: unknown): boolean {
  return (err instanceof DockerApiError && err.statusCode === 404) || (err instanceof RuntimeError && err.code === 'NotFound');
}

export function isConflict(err: unknown): boolean {
  return err instanceof DockerApiError && err.statusCode === 409;
}

/** 404 becomes NotFound; other daemon errors get `code`; RuntimeErrors pass through. */
export function toRuntimeError(err: unknown, code: RuntimeErrorCode, what: string): Error {
  if (err instanceof RuntimeError) return err;
  if (err instanceof DockerApiError) {
    return new RuntimeError(err.statusCode === 404 ? 'NotFound' : code, `${what}: ${err.message}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Runs a call, mapping its failure as toRuntimeError does. */
export async function mapped<T>(code: RuntimeErrorCode, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toRuntimeError(err, code, what);
  }
}
