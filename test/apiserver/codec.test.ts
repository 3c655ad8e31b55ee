// The write path's shared texts (src/apiserver/registry/codec.ts): a watch
// event's object is sent as the text it was stored as, never serialised
// again, and only while it still says what that text says.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { encodeForStorage, eventObject, eventPrevObject, rememberWritten, sharedDecoded, storedJson } from '../../src/apiserver/registry/codec.js';
import type { WatchEvent } from '../../src/storage/interface.js';

const pod = (): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd', labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } });

test('an event object decoded from storage is sent as its stored text with its resourceVersion', () => {
  const value = encodeForStorage(pod());
  const ev: WatchEvent = { type: 'ADDED', key: '/registry/pods/d/p', value, revision: 7, createRevision: 7 };
  const obj = eventObject(ev);
  const text = storedJson(obj);
  assert.ok(text !== undefined);
  assert.deepEqual(JSON.parse(text), obj);
  assert.equal(obj.metadata.resourceVersion, '7');
  // Another endpoint stamps its own apiVersion on the shared object: the stored text no longer says so.
  obj.apiVersion = 'v2';
  assert.equal(storedJson(obj), undefined);
  obj.apiVersion = 'v1';
  assert.ok(storedJson(obj) !== undefined);
});

test('the object a write shared is the event object, sent as the text stored', () => {
  const obj = pod();
  obj.metadata.uid = 'u';
  const value = encodeForStorage(obj);
  rememberWritten('/registry/pods/d/p', value, obj);
  const ev: WatchEvent = { type: 'MODIFIED', key: '/registry/pods/d/p', value, revision: 9, createRevision: 7, prevValue: value };
  assert.equal(eventObject(ev), obj);
  assert.deepEqual(JSON.parse(storedJson(obj)!), { ...pod(), metadata: { ...pod().metadata, uid: 'u', resourceVersion: '9' } });
  // A remembered object whose text differs from the event's (the key written again since) is not taken.
  const other = pod();
  rememberWritten('/registry/pods/d/q', encodeForStorage(other), other);
  const ev2: WatchEvent = { type: 'ADDED', key: '/registry/pods/d/q', value: encodeForStorage({ ...pod(), spec: {} }), revision: 10, createRevision: 10 };
  assert.notEqual(eventObject(ev2), other);
});

test('objects that are no event objects have no stored text', () => {
  assert.equal(storedJson(pod()), undefined);
});

test("the latest event object of a key serves the next write's read and the next event's previous object", () => {
  const key = '/registry/pods/d/latest';
  const v1 = encodeForStorage(pod());
  const added: WatchEvent = { type: 'ADDED', key, value: v1, revision: 20, createRevision: 20 };
  const first = eventObject(added);
  // The object at that revision, as the watchers have it; no other revision.
  assert.equal(sharedDecoded(key, 20, v1), first);
  assert.equal(sharedDecoded(key, 21, v1), undefined);
  // Another store in the same process with the same key and revision but its own object: not this one.
  const foreignValue = encodeForStorage({ ...pod(), spec: { nodeName: 'elsewhere', containers: [] } });
  assert.equal(sharedDecoded(key, 20, foreignValue), undefined);
  const foreign = eventObject({ type: 'ADDED', key, value: foreignValue, revision: 20, createRevision: 20 });
  assert.equal((foreign.spec as { nodeName?: string }).nodeName, 'elsewhere', "the other store's event is its own object");
  assert.equal(sharedDecoded(key, 20, v1), first);
  const v2 = encodeForStorage({ ...pod(), spec: { nodeName: 'n1', containers: [] } });
  const modified: WatchEvent = { type: 'MODIFIED', key, value: v2, revision: 21, createRevision: 20, prevValue: v1 };
  const second = eventObject(modified);
  assert.equal(eventPrevObject(modified), first);
  assert.equal(sharedDecoded(key, 21, v2), second);
  assert.equal(sharedDecoded(key, 20, v1), undefined);
  // An old event decoded again (a watcher that fell behind) does not replace the newer object.
  eventObject({ ...added });
  assert.equal(sharedDecoded(key, 21, v2), second);
  // A previous value that is not the latest object's text is decoded from that text.
  const other: WatchEvent = { type: 'MODIFIED', key, value: v1, revision: 22, createRevision: 20, prevValue: encodeForStorage({ ...pod(), spec: {} }) };
  eventObject(other);
  const prev = eventPrevObject(other)!;
  assert.deepEqual(prev.spec, {});
  // Deleted: nothing is at hand any more.
  eventObject({ type: 'DELETED', key, value: v1, revision: 23, createRevision: 20, prevValue: v1 });
  assert.equal(sharedDecoded(key, 22, v1), undefined);
});

test('a write no event took serves the next read of its key once it names the revision stored', () => {
  const key = '/registry/pods/d/unwatched';
  const obj = pod();
  const value = encodeForStorage(obj);
  rememberWritten(key, value, obj);
  // Not yet acknowledged (or failed): the writer has not stamped a resourceVersion.
  assert.equal(sharedDecoded(key, 30, value), undefined);
  obj.metadata.resourceVersion = '30';
  assert.equal(sharedDecoded(key, 30, value), obj);
  assert.equal(sharedDecoded(key, 31, value), undefined);
  // Another store's key at the same revision, with other text.
  assert.equal(sharedDecoded(key, 30, encodeForStorage({ ...pod(), spec: {} })), undefined);
  // Its event takes it: then it is the latest event object, still the same one.
  assert.equal(eventObject({ type: 'MODIFIED', key, value, revision: 30, createRevision: 29, prevValue: value }), obj);
  assert.equal(sharedDecoded(key, 30, value), obj);
});
