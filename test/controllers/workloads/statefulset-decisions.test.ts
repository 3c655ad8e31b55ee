import { test } from 'node:test';
import assert from 'node:assert/strict';
import { claimOwnerUpToDate, ownerRefsForPolicy } from '../../../src/controllers/statefulset/claims.js';
import { newVersionedPod, parentAndOrdinal } from '../../../src/controllers/statefulset/identity.js';
import { maxUnavailableOf } from '../../../src/controllers/statefulset/control.js';
import type { KubeObject } from '../../../src/api/types.js';
import type { StatefulSet } from '../../../src/controllers/statefulset/types.js';
import type { Pod } from '../../../src/controllers/shared/types.js';

const set = (whenScaled: 'Retain' | 'Delete', whenDeleted: 'Retain' | 'Delete', replicas = 2): StatefulSet => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'default', uid: 'set-uid' },
  spec: { replicas, persistentVolumeClaimRetentionPolicy: { whenScaled, whenDeleted }, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c' }] } } },
});
const pod = (ordinal: number): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `web-${ordinal}`, namespace: 'default', uid: `pod-${ordinal}` } });
const claim = (): KubeObject => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-web-1', namespace: 'default' } });
const owners = (c: KubeObject): string[] => (c.metadata.ownerReferences ?? []).map((r) => `${r.kind}/${r.name}`);

test('claim owners follow the retention policy, in range and scaled down', () => {
  const cases: [string, string, number, string[]][] = [
    ['Retain', 'Retain', 1, []],
    ['Retain', 'Delete', 1, ['StatefulSet/web']],
    ['Delete', 'Retain', 1, []],
    ['Delete', 'Retain', 3, ['Pod/web-3']],
    ['Delete', 'Delete', 1, ['StatefulSet/web']],
    ['Delete', 'Delete', 3, ['Pod/web-3']],
  ];
  for (const [scaled, deleted, ordinal, want] of cases) {
    const s = set(scaled as 'Retain', deleted as 'Retain');
    const p = pod(ordinal);
    const c = claim();
    c.metadata.ownerReferences = ownerRefsForPolicy(c, s, p);
    assert.deepEqual(owners(c), want, `${scaled}/${deleted} ordinal ${ordinal}`);
    assert.ok(claimOwnerUpToDate(c, s, p));
    for (const r of c.metadata.ownerReferences) assert.equal(r.controller, true);
  }
});

test('a claim controlled by something else is left alone; a stale pod reference counts as up to date', () => {
  const s = set('Delete', 'Delete');
  const c = claim();
  c.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'other', controller: true }];
  assert.ok(claimOwnerUpToDate(c, s, pod(0)));
  assert.deepEqual(owners({ ...c, metadata: { ...c.metadata, ownerReferences: ownerRefsForPolicy(c, s, pod(0)) } }), ['ConfigMap/x']);
  const stale = claim();
  stale.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Pod', name: 'web-0', uid: 'an-earlier-web-0', controller: true }];
  assert.ok(claimOwnerUpToDate(stale, s, pod(0)));
});

test('ordinals parse from the last dash, and pods below the partition stay at the current revision', () => {
  assert.deepEqual(parentAndOrdinal(pod(12)), { parent: 'web', ordinal: 12 });
  assert.deepEqual(parentAndOrdinal({ metadata: { name: 'my-db-3' } }), { parent: 'my-db', ordinal: 3 });
  assert.equal(parentAndOrdinal({ metadata: { name: 'web' } }).ordinal, -1);
  const s = set('Retain', 'Retain', 4);
  s.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 2 } };
  const labels = [0, 1, 2, 3].map((o) => newVersionedPod(s, s, 'cur', 'upd', o).metadata.labels?.['controller-revision-hash']);
  assert.deepEqual(labels, ['cur', 'cur', 'upd', 'upd']);
});

test('maxUnavailable: a percentage rounds down, and never below 1', () => {
  const s = set('Retain', 'Retain', 10);
  s.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%' } };
  assert.equal(maxUnavailableOf(s), 2);
  s.spec!.updateStrategy.rollingUpdate!.maxUnavailable = '5%';
  assert.equal(maxUnavailableOf(s), 1);
});
