// Conformance: paged lists at a fixed revision, and reads of the past.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KeyValue } from '../../../src/storage/interface.js';
import { rejectsWith, withStore, type HarnessFactory } from './harness.js';

const P = '/registry/things/';

export function listTests(factory: HarnessFactory): void {
  test('list pages with limit and startAfter stay at one revision while writes continue', () =>
    withStore(factory, async ({ store }) => {
      const original = new Map<string, KeyValue>();
      for (let i = 0; i < 25; i++) {
        const kv = await store.create(`${P}k${String(i).padStart(2, '0')}`, `v${i}`);
        original.set(kv.key, kv);
      }
      await store.create('/registry/thingsX/k00', 'not in the prefix');

      const page1 = await store.list(P, { limit: 10 });
      assert.equal(page1.items.length, 10);
      assert.equal(page1.more, true);
      const at = page1.revision;

      // Writes between pages must not show up in later pages.
      const k05 = original.get(`${P}k05`)!;
      const k15 = original.get(`${P}k15`)!;
      await store.update(k05.key, 'changed', k05.modRevision);
      await store.update(k15.key, 'changed', k15.modRevision);
      await store.delete(`${P}k20`);
      await store.create(`${P}k13a`, 'new');
      await store.create(`${P}k99`, 'new');

      const page2 = await store.list(P, { limit: 10, revision: at, startAfter: page1.items[9].key });
      assert.equal(page2.revision, at);
      assert.equal(page2.more, true);
      const page3 = await store.list(P, { limit: 10, revision: at, startAfter: page2.items[9].key });
      assert.equal(page3.more, false);
      const all = [...page1.items, ...page2.items, ...page3.items];
      assert.deepEqual(all, [...original.values()], 'the pages are exactly the state at the first page');

      const now = await store.list(P);
      const keys = now.items.map((i) => i.key);
      assert.ok(keys.includes(`${P}k13a`) && keys.includes(`${P}k99`) && !keys.includes(`${P}k20`));
      assert.equal(now.items.find((i) => i.key === `${P}k15`)?.value, 'changed');
      assert.deepEqual(keys, [...keys].sort(), 'items come in key order');
    }));

  test('pages are full even when deleted keys sit between live ones', () =>
    withStore(factory, async ({ store }) => {
      for (let i = 0; i < 12; i++) await store.create(`${P}d${String(i).padStart(2, '0')}`, String(i));
      for (const i of [1, 2, 3, 4, 5, 6, 8, 9]) await store.delete(`${P}d${String(i).padStart(2, '0')}`);
      const seen: string[] = [];
      let startAfter: string | undefined;
      let revision: number | undefined;
      for (;;) {
        const page = await store.list(P, { limit: 2, startAfter, revision });
        revision = page.revision;
        seen.push(...page.items.map((i) => i.key.slice(P.length)));
        if (!page.more) break;
        assert.equal(page.items.length, 2);
        startAfter = page.items[1].key;
      }
      assert.deepEqual(seen, ['d00', 'd07', 'd10', 'd11']);
      assert.equal(await store.count(P), 4);
    }));

  test('pages at a past revision skip keys deleted by then and keep keys deleted since', () =>
    withStore(factory, async ({ store }) => {
      const made: Record<string, number> = {};
      for (let i = 0; i < 8; i++) made[`e${i}`] = (await store.create(`${P}e${i}`, `v${i}`)).modRevision;
      for (const i of [0, 1, 2, 4, 5]) await store.delete(`${P}e${i}`);
      const upd = await store.update(`${P}e3`, 'v3b', made.e3);
      const r1 = await store.currentRevision();
      // After r1: e3 and e6 deleted, e1 recreated, e9 created.
      await store.delete(`${P}e3`);
      await store.delete(`${P}e6`);
      await store.create(`${P}e1`, 'again');
      await store.create(`${P}e9`, 'v9');
      const seen: Array<[string, string, number, number]> = [];
      let startAfter: string | undefined;
      for (;;) {
        const page = await store.list(P, { revision: r1, limit: 2, startAfter });
        assert.equal(page.revision, r1);
        seen.push(...page.items.map((i): [string, string, number, number] => [i.key.slice(P.length), i.value, i.modRevision, i.createRevision]));
        if (!page.more) break;
        assert.equal(page.items.length, 2);
        startAfter = page.items[1].key;
      }
      assert.deepEqual(seen, [
        ['e3', 'v3b', upd.modRevision, made.e3],
        ['e6', 'v6', made.e6, made.e6],
        ['e7', 'v7', made.e7, made.e7],
      ]);
      const now = await store.list(P, { limit: 1 });
      assert.deepEqual(
        now.items.map((i) => i.key.slice(P.length)),
        ['e1'],
      );
      assert.equal(now.more, true);
    }));

  test('list at a past revision returns that state; a future one is refused', () =>
    withStore(factory, async ({ store }) => {
      const a = await store.create(`${P}a`, 'a1');
      await store.create(`${P}b`, 'b1');
      const r1 = await store.currentRevision();
      await store.update(`${P}a`, 'a2', a.modRevision);
      await store.delete(`${P}b`);
      await store.create(`${P}c`, 'c1');
      const past = await store.list(P, { revision: r1 });
      assert.deepEqual(
        past.items.map((i) => [i.key, i.value]),
        [
          [`${P}a`, 'a1'],
          [`${P}b`, 'b1'],
        ],
      );
      assert.equal(past.revision, r1);
      const limited = await store.list(P, { revision: r1, limit: 1 });
      assert.equal(limited.items.length, 1);
      assert.equal(limited.more, true);
      await rejectsWith(store.list(P, { revision: (await store.currentRevision()) + 1000 }), 'FutureRevision');
    }));
}
