import assert from 'node:assert/strict';
import { StatusError } from '../../src/api/errors.js';

/** Asserts that p fails with a Kubernetes Status of this code and exactly this message. */
export async function rejectsWithStatus(p: Promise<unknown>, code: number, message: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof StatusError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.message, message);
    return true;
  });
}

/** Asserts that p is refused as Forbidden (403) with exactly this message. */
export function refused(p: Promise<unknown>, message: string): Promise<void> {
  return rejectsWithStatus(p, 403, message);
}
