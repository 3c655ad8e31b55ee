// Conformance: watches (ordering and exactly-once under concurrent writers,
// event shapes, bookmarks, slow consumers), compaction and TTL expiry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WatchEventType } from '../../../src/storage/interface.js';
import { Collector, rejectsWith, withStore, type HarnessFactory } from './harness.js';

const P = '/registry/widgets/';
const WRITERS = 8;
const OPS = 2400;

export function watchTests(factory: HarnessFactory): void {
  test('events carry type, value, previous value and revisions', () =>
    withStore(factory, async ({ store }) => {
      const from = await store.currentRevision();
      const c = Collector.start(store, { key: P, recursive: true, fromRevision: from });
      const a = await store.create(`${P}a`, 'v1');
      const b = await store.update(`${P}a`, 'v2', a.modRevision);
      await store.create('/registry/other/x', 'elsewhere');
      const d = await store.delete(`${P}a`);
      await c.untilRevision(d.modRevision);
      c.stop();
      assert.deepEqual(c.changes, [
        { type: 'ADDED', key: `${P}a`, value: 'v1', revision: a.modRevision, createRevision: a.modRevision },
        { type: 'MODIFIED', key: `${P}a`, value: 'v2', revision: b.modRevision, createRevision: a.modRevision, prevValue: 'v1' },
        { type: 'DELETED', key: `${P}a`, value: 'v2', revision: d.modRevision, createRevision: a.modRevision, prevValue: 'v2' },
      ]);
    }));

  test(`watch from a revision: ${OPS} writes from ${WRITERS} writers, every watcher sees each event once, in order`, () =>
    withStore(factory, async ({ store }) => {
      const acked = new Map<number, { type: WatchEventType; key: string }>();
      const hot = `${P}hot`;
      // Watch from the seed's revision (0 would mean "from now").
      const r0 = (await store.create(hot, '0')).modRevision;
      const fromStart = Collector.start(store, { key: P, recursive: true, fromRevision: r0 });
      const fromNow = Collector.start(store, { key: P, recursive: true, fromRevision: 0 });
      const hotOnly = Collector.start(store, { key: hot, recursive: false, fromRevision: r0 });
      let late: Collector | null = null;
      let lateFrom = 0;
      let done = 0;

      const writer = async (w: number): Promise<void> => {
        const live: string[] = [];
        let n = 0;
        while (done < OPS) {
          done++;
          const roll = (w * 7919 + n++ * 104729) % 10;
          if (roll < 2) {
            const kv = await store.guaranteedUpdate(hot, (cur) => String(Number(cur.value) + 1));
            acked.set(kv.modRevision, { type: 'MODIFIED', key: hot });
          } else if (roll < 6 || live.length === 0) {
            const key = `${P}w${w}-${n}`;
            const kv = await store.create(key, `v${n}`);
            live.push(key);
            acked.set(kv.modRevision, { type: 'ADDED', key });
          } else if (roll < 8) {
            const key = live[n % live.length];
            const cur = await store.get(key);
            const kv = await store.update(key, `u${n}`, cur!.modRevision);
            acked.set(kv.modRevision, { type: 'MODIFIED', key });
          } else {
            const key = live.splice(n % live.length, 1)[0];
            const kv = await store.delete(key);
            acked.set(kv.modRevision, { type: 'DELETED', key });
          }
          if (!late && done > OPS / 2) {
            lateFrom = Math.max(...acked.keys());
            late = Collector.start(store, { key: P, recursive: true, fromRevision: lateFrom });
          }
        }
      };
      await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
      const last = Math.max(...acked.keys());
      const lastHot = Math.max(...[...acked].filter(([, v]) => v.key === hot).map(([r]) => r));
      const watchers = [fromStart, fromNow, late!];
      await Promise.all([...watchers.map((c) => c.untilRevision(last)), hotOnly.untilRevision(lastHot)]);
      for (const c of [...watchers, hotOnly]) c.stop();

      const expect = (after: number, onlyKey?: string) =>
        [...acked]
          .filter(([rev, v]) => rev > after && (!onlyKey || v.key === onlyKey))
          .sort((x, y) => x[0] - y[0])
          .map(([rev, v]) => `${rev} ${v.type} ${v.key}`);
      const seen = (c: Collector) => c.changes.map((e) => `${e.revision} ${e.type} ${e.key}`);
      assert.deepEqual(seen(fromStart), expect(r0), 'watch from r0');
      assert.deepEqual(seen(late!), expect(lateFrom), 'watch started mid-way from a revision');
      assert.deepEqual(seen(hotOnly), expect(r0, hot), 'single-key watch');
      // "From now" started after the first create was acknowledged.
      const nowSeen = seen(fromNow);
      assert.deepEqual(nowSeen, expect(fromNow.changes[0].revision - 1), 'watch from now');
      assert.ok(fromNow.changes[0].revision > r0);
      for (const c of [...watchers, hotOnly]) assert.equal(c.error, null);
    }));

  test('bookmarks carry a revision that covers every delivered event', () =>
    withStore(factory, async ({ store }) => {
      const from = await store.currentRevision();
      const c = Collector.start(store, { key: P, recursive: true, fromRevision: from, bookmarkIntervalMs: 50 });
      const a = await store.create(`${P}bm`, 'x');
      await c.until(() => c.events.some((e) => e.type === 'BOOKMARK' && e.revision >= a.modRevision));
      c.stop();
      let lastEvent = 0;
      for (const e of c.events) {
        if (e.type === 'BOOKMARK') {
          assert.ok(e.revision >= lastEvent, 'a bookmark never claims less than what was delivered');
          assert.equal(e.value, '');
        } else lastEvent = e.revision;
      }
      assert.ok(c.events.findIndex((e) => e.type === 'ADDED') < c.events.findIndex((e) => e.type === 'BOOKMARK' && e.revision >= a.modRevision));
    }));

  test('a watcher that stops consuming is terminated; the others carry on', () =>
    withStore(factory, async ({ store }) => {
      const from = await store.currentRevision();
      const steady = Collector.start(store, { key: P, recursive: true, fromRevision: from });
      let stuckEvents = 0;
      let stuckError: Error | null = null;
      const stuckDone = new Promise<void>((resolve) => {
        store.watch(
          { key: P, recursive: true, fromRevision: from },
          {
            // Never settles: this consumer has stopped reading.
            onEvent: () => {
              stuckEvents++;
              return new Promise<void>(() => undefined);
            },
            onError: (err) => {
              stuckError = err;
              resolve();
            },
          },
        );
      });
      let last = 0;
      for (let i = 0; i < 400; i++) last = (await store.create(`${P}s${i}`, 'x')).modRevision;
      await stuckDone;
      await steady.untilRevision(last);
      steady.stop();
      assert.equal(stuckEvents, 1);
      assert.match(String(stuckError), /too slow/);
      assert.equal(steady.changes.length, 400);
      assert.equal(steady.error, null);
    }));

  test('after compaction, reads and watches below it fail with Expired', () =>
    withStore(factory, async ({ store }) => {
      const a = await store.create(`${P}c1`, 'a');
      const r1 = await store.currentRevision();
      await store.update(`${P}c1`, 'b', a.modRevision);
      await store.create(`${P}c2`, 'c');
      const r2 = await store.currentRevision();
      await store.create(`${P}c3`, 'd');
      await store.compact(r2);
      await store.compact(r2 - 1); // older than what is compacted: a no-op

      const err = await rejectsWith(store.list(P, { revision: r1 }), 'Expired');
      assert.match(err.message, /compacted/);
      const expired = Collector.start(store, { key: P, recursive: true, fromRevision: r1 });
      const werr = await expired.failure();
      assert.equal((werr as { code?: string }).code, 'Expired');
      assert.equal(expired.changes.length, 0);

      const at = await store.list(P, { revision: r2 });
      assert.deepEqual(at.items.map((i) => [i.key, i.value]), [[`${P}c1`, 'b'], [`${P}c2`, 'c']]);
      const fine = Collector.start(store, { key: P, recursive: true, fromRevision: r2 });
      const e = await store.create(`${P}c4`, 'e');
      await fine.untilRevision(e.modRevision);
      fine.stop();
      assert.deepEqual(fine.changes.map((x) => x.key), [`${P}c3`, `${P}c4`]);
      assert.equal((await store.get(`${P}c1`))?.value, 'b');
    }));

  test('a TTL key expires with a DELETED event', () =>
    withStore(factory, async ({ store }) => {
      const from = await store.currentRevision();
      const c = Collector.start(store, { key: P, recursive: true, fromRevision: from });
      const kept = await store.create(`${P}keep`, 'k');
      const ev = await store.create(`${P}event`, 'e1', { ttlSeconds: 1 });
      const upd = await store.update(`${P}event`, 'e2', ev.modRevision, { ttlSeconds: 1 });
      await c.until(() => c.changes.some((e) => e.type === 'DELETED' && e.key === `${P}event`));
      c.stop();
      const del = c.changes.find((e) => e.type === 'DELETED')!;
      assert.equal(del.value, 'e2');
      assert.equal(del.createRevision, ev.createRevision);
      assert.ok(del.revision > upd.modRevision);
      assert.equal(await store.get(`${P}event`), null);
      assert.deepEqual(await store.get(`${P}keep`), kept);
      assert.equal(c.changes.filter((e) => e.type === 'DELETED').length, 1);
    }));
}
