// The watch cache's own promises, beyond the conformance suite: one storage
// watch per prefix however many watchers, replays from its ring without the
// store, falls back to the store for older revisions, lets idle sources go.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { CachedStore } from '../../src/storage/cache/cached-store.js';
import type { Store, WatchEvent, WatchHandlers, WatchOptions, Watcher } from '../../src/storage/interface.js';
import { SqliteStore } from '../../src/storage/sqlite/store.js';
import { Collector, sleep } from './conformance/harness.js';

/** Counts the storage watches the cache opens. */
class CountingStore {
  opened = 0;
  active = 0;
  constructor(readonly inner: Store) {}
  asStore(): Store {
    return new Proxy(this.inner, {
      get: (target, prop, receiver) => {
        if (prop === 'watch') {
          return (opts: WatchOptions, handlers: WatchHandlers): Watcher => {
            this.opened++;
            this.active++;
            let open = true;
            const close = () => {
              if (open) this.active--;
              open = false;
            };
            const w = target.watch(opts, {
              onEvent: (e) => handlers.onEvent(e),
              onError: (err) => {
                close();
                handlers.onError(err);
              },
            });
            return {
              stop: () => {
                close();
                w.stop();
              },
            };
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  }
}

describe('watch cache', () => {
  let dir: string;
  let counting: CountingStore;
  let cache: CachedStore;
  const P = '/registry/pods/';

  const open = (capacity = 10_000): void => {
    counting = new CountingStore(new SqliteStore({ path: join(dir, 'state.db'), compactWindowSeconds: 0 }));
    cache = new CachedStore(counting.asStore(), { capacity, idleSourceMs: 0 });
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-cache-'));
  });
  afterEach(async () => {
    await cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a hundred watchers of one prefix cost one storage watch, each sees every event', async () => {
    open();
    const from = await cache.currentRevision();
    // Odd ones watch the whole prefix (the first of them creates the source),
    // even ones a namespace inside it: all ride on the one storage watch.
    const watchers = Array.from({ length: 100 }, (_, i) => i).map((i) =>
      Collector.start(cache, { key: i % 2 ? P : `${P}ns1/`, recursive: true, fromRevision: from }),
    );
    let last = 0;
    const ns1: number[] = [];
    for (let i = 0; i < 50; i++) {
      const kv = await cache.create(`${P}ns${i % 3}/p${i}`, 'x');
      last = kv.modRevision;
      if (i % 3 === 1) ns1.push(kv.modRevision);
    }
    await Promise.all(watchers.map((c, i) => c.untilRevision(i % 2 ? last : ns1[ns1.length - 1])));
    assert.equal(counting.opened, 2, 'one source per distinct prefix watched first');
    for (const [i, c] of watchers.entries()) {
      assert.deepEqual(
        c.changes.map((e) => e.revision),
        i % 2 ? c.changes.map((e) => e.revision).sort((a, b) => a - b) : ns1,
      );
      assert.equal(c.changes.length, i % 2 ? 50 : ns1.length);
    }
    for (const c of watchers) c.stop();
    assert.equal(counting.active, 0, 'sources stop with their last watcher');

    // Broad first: the narrower watchers then share its storage watch.
    const before = counting.opened;
    const broad = Collector.start(cache, { key: P, recursive: true, fromRevision: last });
    const narrow = Array.from({ length: 50 }, () => Collector.start(cache, { key: `${P}ns2/`, recursive: true, fromRevision: last }));
    const kv = await cache.create(`${P}ns2/late`, 'y');
    await Promise.all([broad, ...narrow].map((c) => c.untilRevision(kv.modRevision)));
    assert.equal(counting.opened - before, 1);
    assert.equal(cache.storageWatchCount, 1);
    for (const c of [broad, ...narrow]) c.stop();
  });

  test('watched(key) says whether a write of the key reaches a watch open now', async () => {
    open();
    assert.equal(cache.watched(`${P}ns1/a`), false, 'nothing watches yet');
    const from = await cache.currentRevision();
    const ns1 = Collector.start(cache, { key: `${P}ns1/`, recursive: true, fromRevision: from });
    const one = Collector.start(cache, { key: '/registry/configmaps/ns1/settings', recursive: false, fromRevision: from });
    assert.equal(cache.watched(`${P}ns1/a`), true);
    assert.equal(cache.watched(`${P}ns2/a`), false, 'a namespace nobody watches');
    assert.equal(cache.watched('/registry/configmaps/ns1/settings'), true);
    assert.equal(cache.watched('/registry/configmaps/ns1/other'), false);
    ns1.stop();
    one.stop();
    await sleep(10);
    assert.equal(cache.watched(`${P}ns1/a`), false, 'stopped with its last watcher');
  });

  test('a watch from a revision still in the ring replays from memory', async () => {
    open();
    const keep = Collector.start(cache, { key: P, recursive: true, fromRevision: await cache.currentRevision() });
    const revs: number[] = [];
    for (let i = 0; i < 20; i++) revs.push((await cache.create(`${P}p${i}`, String(i))).modRevision);
    await keep.untilRevision(revs[19]);
    assert.equal(counting.opened, 1);
    const replay = Collector.start(cache, { key: P, recursive: true, fromRevision: revs[9] });
    await replay.untilRevision(revs[19]);
    assert.equal(counting.opened, 1, 'no storage watch for the replay');
    assert.deepEqual(
      replay.changes.map((e) => e.revision),
      revs.slice(10),
    );
    keep.stop();
    replay.stop();
  });

  test('a watch from before the ring falls back to the store', async () => {
    open(5);
    const start = await cache.currentRevision();
    const keep = Collector.start(cache, { key: P, recursive: true, fromRevision: start });
    const revs: number[] = [];
    for (let i = 0; i < 20; i++) revs.push((await cache.create(`${P}p${i}`, String(i))).modRevision);
    await keep.untilRevision(revs[19]);
    assert.equal(counting.opened, 1);
    const old = Collector.start(cache, { key: P, recursive: true, fromRevision: revs[2] });
    await old.untilRevision(revs[19]);
    assert.equal(counting.opened, 2, 'one direct storage watch for the old revision');
    assert.deepEqual(
      old.changes.map((e) => e.revision),
      revs.slice(3),
    );
    old.stop();
    assert.equal(counting.active, 1);

    // Once that history is compacted the store answers Expired.
    await cache.compact(revs[15]);
    const expired = Collector.start(cache, { key: P, recursive: true, fromRevision: revs[2] });
    const err = (await expired.failure()) as { code?: string };
    assert.equal(err.code, 'Expired');
    keep.stop();
  });

  test('watchers from "now" share a source and see only later writes', async () => {
    open();
    await cache.create(`${P}before`, 'x');
    const a = Collector.start(cache, { key: P, recursive: true, fromRevision: 0 });
    const b = Collector.start(cache, { key: `${P}after`, recursive: false, fromRevision: 0 });
    await sleep(10);
    const after = await cache.create(`${P}after`, 'y');
    await Promise.all([a.untilRevision(after.modRevision), b.untilRevision(after.modRevision)]);
    assert.deepEqual(a.changes.map((e) => e.key), [`${P}after`]);
    assert.deepEqual(b.changes.map((e) => e.key), [`${P}after`]);
    assert.equal(counting.opened, 1, 'the single-key watch is covered by the prefix source');
    a.stop();
    b.stop();
  });

  test("a triggered watcher gets the events its value names (object's or previous object's) and those whose values cannot be told", async () => {
    open();
    let computed = 0;
    // The value's "n", as the API server's pod trigger reads spec.nodeName; text that is not JSON cannot be told.
    const of = (ev: WatchEvent): string[] | undefined => {
      computed++;
      const n = (v: string | undefined) => (v === undefined ? undefined : (JSON.parse(v) as { n: string }).n);
      try {
        const cur = n(ev.value)!;
        const prev = n(ev.prevValue);
        return prev === undefined || prev === cur ? [cur] : [cur, prev];
      } catch {
        return undefined;
      }
    };
    const from = await cache.currentRevision();
    const at = (value?: string) => Collector.start(cache, { key: P, recursive: true, fromRevision: from, trigger: value === undefined ? undefined : { value, of } });
    const a = at('a');
    const b = at('b');
    const all = at();
    const others = Array.from({ length: 200 }, () => at('z'));
    const p1 = await cache.create(`${P}p1`, '{"n":"a"}');
    const p2 = await cache.create(`${P}p2`, '{"n":"b"}');
    const moved = await cache.update(`${P}p1`, '{"n":"b"}', p1.modRevision);
    const p3 = await cache.create(`${P}p3`, '{"n":"c"}');
    const odd = await cache.create(`${P}p4`, 'not json');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the watchers did not all get revision ${odd.modRevision} within 10 s`)), 10_000)));
    await Promise.race([Promise.all([a, b, all, ...others].map((c) => c.untilRevision(odd.modRevision))), late]);
    clearTimeout(timer);
    const revs = (c: Collector) => c.changes.map((e) => e.revision);
    assert.deepEqual(revs(a), [p1.modRevision, moved.modRevision, odd.modRevision]);
    assert.deepEqual(revs(b), [p2.modRevision, moved.modRevision, odd.modRevision]);
    assert.deepEqual(revs(all), [p1.modRevision, p2.modRevision, moved.modRevision, p3.modRevision, odd.modRevision]);
    for (const c of others) assert.deepEqual(revs(c), [odd.modRevision]);
    assert.equal(computed, 5, 'each event is told once, however many watchers');
    for (const c of [a, b, all, ...others]) c.stop();
    assert.equal(counting.active, 0);
  });

  test('closing the cache ends its watchers with an error and closes the store', async () => {
    open();
    const c = Collector.start(cache, { key: P, recursive: true, fromRevision: await cache.currentRevision() });
    await cache.create(`${P}x`, '1');
    await cache.close();
    const err = (await c.failure()) as { code?: string };
    assert.equal(err.code, 'Unavailable');
    await assert.rejects(counting.inner.get(`${P}x`), /closed/);
  });
});
