// How the exec runtime decides that a container ended, and with which code.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readExitStatus, settledExit, type ExitStatus } from '../../../src/runtime/exec/exit-status.js';

test('a status written between the first read and the liveness check is the exit code, not a kill', () => {
  // The supervisor writes its status, then exits: a poll can miss the file and then find the supervisor gone.
  const reads: (ExitStatus | undefined)[] = [undefined, { code: 143, at: 1 }];
  assert.deepEqual(
    settledExit(() => reads.shift(), () => false),
    { code: 143, at: 1 },
  );
});

test('a live supervisor without a status is running; a dead one without a status was killed', () => {
  assert.equal(settledExit(() => undefined, () => true), 'running');
  assert.equal(settledExit(() => undefined, () => false), undefined);
  assert.deepEqual(settledExit(() => ({ code: 0, at: 2 }), () => true), { code: 0, at: 2 });
});

test('readExitStatus reads a complete status and ignores a missing or partial file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-exit-'));
  try {
    const file = join(dir, 'exit');
    assert.equal(readExitStatus(file), undefined);
    writeFileSync(file, '');
    assert.equal(readExitStatus(file), undefined);
    writeFileSync(file, '143\n');
    assert.equal(readExitStatus(file)?.code, 143);
    assert.ok((readExitStatus(file)?.at ?? 0) > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
