// Conformance: single-key reads and writes, preconditions, bad input,
// corrupt values and restarts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StorageError } from '../../../src/storage/errors.js';
import { KEY_PREFIX, MAX_VALUE_BYTES } from '../../../src/storage/interface.js';
import { rejectsWith, withStore, type HarnessFactory } from './harness.js';

export function crudTests(factory: HarnessFactory): void {
  test('create and get', () =>
    withStore(factory, async ({ store }) => {
      assert.equal(await store.get('/registry/widgets/a'), null);
      const a = await store.create('/registry/widgets/a', '{"a":1}');
      assert.equal(a.key, '/registry/widgets/a');
      assert.equal(a.value, '{"a":1}');
      assert.equal(a.createRevision, a.modRevision);
      assert.deepEqual(await store.get('/registry/widgets/a'), a);
      const b = await store.create('/registry/widgets/b', 'b');
      assert.ok(b.modRevision > a.modRevision, 'revisions grow across keys');
      assert.ok((await store.currentRevision()) >= b.modRevision);
      const err = await rejectsWith(store.create('/registry/widgets/a', 'again'), 'KeyExists');
      assert.equal((err as StorageError).key, '/registry/widgets/a');
      assert.equal((await store.get('/registry/widgets/a'))?.value, '{"a":1}');
    }));

  test('update is a compare-and-swap on modRevision', () =>
    withStore(factory, async ({ store }) => {
      const v1 = await store.create('/registry/widgets/x', 'v1');
      const v2 = await store.update('/registry/widgets/x', 'v2', v1.modRevision);
      assert.ok(v2.modRevision > v1.modRevision);
      assert.equal(v2.createRevision, v1.createRevision);
      assert.deepEqual(await store.get('/registry/widgets/x'), v2);
      const stale = (await rejectsWith(store.update('/registry/widgets/x', 'v3', v1.modRevision), 'Conflict')) as StorageError;
      assert.equal(stale.revision, v2.modRevision, 'Conflict carries the current revision');
      await rejectsWith(store.update('/registry/widgets/x', 'v3', 0), 'Conflict');
      assert.equal((await store.get('/registry/widgets/x'))?.value, 'v2');
      await rejectsWith(store.update('/registry/widgets/missing', 'v', v2.modRevision), 'NotFound');
      assert.equal(await store.get('/registry/widgets/missing'), null);
    }));

  test('guaranteedUpdate retries on conflict, skips no-op writes, aborts on throw', () =>
    withStore(factory, async ({ store }) => {
      const start = await store.create('/registry/widgets/g', '0');
      let calls = 0;
      const done = await store.guaranteedUpdate('/registry/widgets/g', async (cur) => {
        calls++;
        // The first attempt loses a race against another writer.
        if (calls === 1) await store.update('/registry/widgets/g', 'raced', cur.modRevision);
        return `${cur.value}+1`;
      });
      assert.equal(calls, 2);
      assert.equal(done.value, 'raced+1');
      assert.equal(done.createRevision, start.createRevision);
      assert.deepEqual(await store.get('/registry/widgets/g'), done);

      const same = await store.guaranteedUpdate('/registry/widgets/g', (cur) => cur.value);
      assert.equal(same.modRevision, done.modRevision, 'an unchanged value writes nothing');
      assert.equal(await store.currentRevision() >= done.modRevision, true);

      await assert.rejects(
        store.guaranteedUpdate('/registry/widgets/g', () => {
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.equal((await store.get('/registry/widgets/g'))?.modRevision, done.modRevision);
      await rejectsWith(store.guaranteedUpdate('/registry/widgets/none', (c) => c.value + 'x'), 'NotFound');

      // Concurrent increments through guaranteedUpdate never lose one.
      await store.create('/registry/widgets/counter', '0');
      await Promise.all(
        Array.from({ length: 20 }, () =>
          store.guaranteedUpdate('/registry/widgets/counter', async (cur) => {
            await new Promise((r) => setImmediate(r));
            return String(Number(cur.value) + 1);
          }),
        ),
      );
      assert.equal((await store.get('/registry/widgets/counter'))?.value, '20');
    }));

  test("guaranteedUpdate from the caller's copy: a current copy is used, a stale one never wins", () =>
    withStore(factory, async ({ store }) => {
      const key = '/registry/widgets/copy';
      const v1 = await store.create(key, 'A');
      const seen: string[] = [];
      const v2 = await store.guaranteedUpdate(key, (cur) => (seen.push(cur.value), `${cur.value}+1`), { current: v1 });
      assert.deepEqual(seen, ['A']);
      assert.equal(v2.value, 'A+1');
      assert.equal(v2.createRevision, v1.createRevision);
      assert.deepEqual(await store.get(key), v2);

      // A stale copy: the update is applied to the stored state instead.
      seen.length = 0;
      const v3 = await store.guaranteedUpdate(key, (cur) => (seen.push(cur.value), `${cur.value}+2`), { current: v1 });
      assert.equal(v3.value, 'A+1+2');
      assert.equal(seen[seen.length - 1], 'A+1');
      assert.deepEqual(await store.get(key), v3);

      // fn leaves the stale copy as it is, but the stored value differs:
      // "nothing to write" is decided on the stored state, so it writes.
      const v4 = await store.guaranteedUpdate(key, () => 'A', { current: v1 });
      assert.equal(v4.value, 'A');
      assert.ok(v4.modRevision > v3.modRevision);
      assert.deepEqual(await store.get(key), v4);
      // A current copy left unchanged writes nothing.
      const same = await store.guaranteedUpdate(key, (cur) => cur.value, { current: v4 });
      assert.equal(same.modRevision, v4.modRevision);

      await store.delete(key);
      await rejectsWith(store.guaranteedUpdate(key, (cur) => `${cur.value}!`, { current: v4 }), 'NotFound');
    }));

  test('delete with revision and uid-style preconditions', () =>
    withStore(factory, async ({ store }) => {
      const a = await store.create('/registry/widgets/d', '{"uid":"u1"}');
      await rejectsWith(store.delete('/registry/widgets/d', { expectedRevision: a.modRevision + 1000 }), 'Conflict');
      const uidCheck = (uid: string) => (cur: { value: string }) => {
        if (!cur.value.includes(`"uid":"${uid}"`)) throw new StorageError('Conflict', '/registry/widgets/d', 'uid mismatch');
      };
      await rejectsWith(store.delete('/registry/widgets/d', { precondition: uidCheck('other') }), 'Conflict');
      assert.deepEqual(await store.get('/registry/widgets/d'), a, 'failed preconditions leave the key alone');

      const gone = await store.delete('/registry/widgets/d', { expectedRevision: a.modRevision, precondition: uidCheck('u1') });
      assert.equal(gone.value, a.value, 'delete returns the last value');
      assert.equal(gone.createRevision, a.createRevision);
      assert.ok(gone.modRevision > a.modRevision, 'with the deletion revision');
      assert.equal(await store.get('/registry/widgets/d'), null);
      await rejectsWith(store.delete('/registry/widgets/d'), 'NotFound');

      const again = await store.create('/registry/widgets/d', '{"uid":"u2"}');
      assert.ok(again.createRevision > gone.modRevision, 'a re-created key gets a new createRevision');
      const plain = await store.delete('/registry/widgets/d');
      assert.equal(plain.value, '{"uid":"u2"}');
    }));

  test('count and list see only live keys under the prefix', () =>
    withStore(factory, async ({ store }) => {
      for (const k of ['a', 'b', 'c']) await store.create(`/registry/widgets/${k}`, k);
      await store.create('/registry/widgetsX/a', 'sibling');
      await store.create('/registry/widget', 'shorter');
      await store.delete('/registry/widgets/b');
      assert.equal(await store.count('/registry/widgets/'), 2);
      assert.equal(await store.count(KEY_PREFIX), 4);
      const listed = await store.list('/registry/widgets/');
      assert.deepEqual(
        listed.items.map((i) => i.key),
        ['/registry/widgets/a', '/registry/widgets/c'],
      );
      assert.equal(listed.more, false);
      assert.equal(listed.revision, await store.currentRevision());
    }));

  test('bad input: keys outside the prefix, oversized values', () =>
    withStore(factory, async ({ store }) => {
      for (const key of ['/foo/bar', 'registry/x', KEY_PREFIX, '', '/registry']) {
        await rejectsWith(store.create(key, 'v'), 'InvalidKey');
        await rejectsWith(store.get(key), 'InvalidKey');
        await rejectsWith(store.delete(key), 'InvalidKey');
      }
      await rejectsWith(store.list('/other/'), 'InvalidKey');
      await rejectsWith(store.count('/other/'), 'InvalidKey');
      assert.throws(
        () => store.watch({ key: '/other/', recursive: true, fromRevision: 0 }, { onEvent() {}, onError() {} }),
        (err: unknown) => err instanceof StorageError && err.code === 'InvalidKey',
      );

      const big = 'x'.repeat(MAX_VALUE_BYTES + 1);
      await rejectsWith(store.create('/registry/widgets/big', big), 'TooLarge');
      assert.equal(await store.get('/registry/widgets/big'), null);
      // Multi-byte characters count by their UTF-8 size.
      const wide = '€'.repeat(Math.ceil(MAX_VALUE_BYTES / 3) + 1);
      await rejectsWith(store.create('/registry/widgets/big', wide), 'TooLarge');
      const ok = await store.create('/registry/widgets/big', 'y'.repeat(1024 * 1024));
      assert.equal((await store.get('/registry/widgets/big'))?.value.length, 1024 * 1024);
      await rejectsWith(store.update('/registry/widgets/big', big, ok.modRevision), 'TooLarge');
      await rejectsWith(store.guaranteedUpdate('/registry/widgets/big', () => big), 'TooLarge');
      assert.equal((await store.get('/registry/widgets/big'))?.modRevision, ok.modRevision);
    }));

  test('a corrupt stored value is returned raw and harms no other key', () =>
    withStore(factory, async ({ store, harness, reopen }) => {
      await store.create('/registry/widgets/good', '{"ok":true}');
      const bad = await store.create('/registry/widgets/bad', '{"ok":true}');
      await store.create('/registry/widgets/zgood', '{"ok":2}');
      await store.close();
      await harness.corrupt('/registry/widgets/bad', Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0x6b]));
      store = await reopen();
      const got = await store.get('/registry/widgets/bad');
      assert.ok(got, 'the corrupt key is still readable');
      assert.equal(typeof got.value, 'string');
      // etcd cannot rewrite a value in place: the foreign put is a new revision.
      assert.ok(got.modRevision >= bad.modRevision);
      assert.equal((await store.get('/registry/widgets/good'))?.value, '{"ok":true}');
      const listed = await store.list('/registry/widgets/');
      assert.deepEqual(
        listed.items.map((i) => [i.key, typeof i.value]),
        [
          ['/registry/widgets/bad', 'string'],
          ['/registry/widgets/good', 'string'],
          ['/registry/widgets/zgood', 'string'],
        ],
      );
      assert.equal(listed.items[2].value, '{"ok":2}');
      // The API layer can still delete or overwrite it.
      await store.update('/registry/widgets/bad', '{"ok":"fixed"}', got.modRevision);
      assert.equal((await store.get('/registry/widgets/bad'))?.value, '{"ok":"fixed"}');
      await store.delete('/registry/widgets/bad');
    }));

  test('restart: data and revisions continue after close and reopen', () =>
    withStore(factory, async ({ store, reopen }) => {
      const written = [];
      for (let i = 0; i < 20; i++) written.push(await store.create(`/registry/widgets/r${i}`, `v${i}`));
      const updated = await store.update('/registry/widgets/r3', 'v3b', written[3].modRevision);
      const deleted = await store.delete('/registry/widgets/r4');
      const before = await store.currentRevision();
      assert.ok(before >= deleted.modRevision);

      store = await reopen();
      assert.equal(await store.currentRevision(), before);
      assert.deepEqual(await store.get('/registry/widgets/r3'), updated);
      assert.equal(await store.get('/registry/widgets/r4'), null);
      assert.deepEqual(await store.get('/registry/widgets/r7'), written[7]);
      assert.equal((await store.list('/registry/widgets/')).items.length, 19);
      const next = await store.create('/registry/widgets/after', 'x');
      assert.ok(next.modRevision > before, 'revisions keep growing after a restart');
      await store.update('/registry/widgets/r3', 'v3c', updated.modRevision);

      store = await reopen();
      assert.equal((await store.get('/registry/widgets/r3'))?.value, 'v3c');
      assert.ok((await store.currentRevision()) > next.modRevision);
    }));
}
