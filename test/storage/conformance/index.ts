// The storage conformance suite: every backend (and the watch cache over it)
// must pass the same tests. A HarnessFactory gives each test a fresh store.
import { describe } from 'node:test';
import { crudTests } from './crud.js';
import type { HarnessFactory } from './harness.js';
import { listTests } from './list.js';
import { watchTests } from './watch.js';

export type { Harness, HarnessFactory } from './harness.js';

export function conformance(name: string, factory: HarnessFactory): void {
  describe(name, () => {
    crudTests(factory);
    listTests(factory);
    watchTests(factory);
  });
}
