// The fast path of managedFields for updates must give exactly what the
// general algorithm gives, whether it takes the write or hands it over.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchemaRegistry } from '../../src/api/schema/registry.js';
import { updateManagedFields, updateManagedFieldsGeneral, type ManagedFieldsOptions } from '../../src/apiserver/patch/field-manager.js';
import type { KubeObject } from '../../src/api/types.js';

const schemas = loadSchemaRegistry();
const podSchema = schemas.forKind('', 'v1', 'Pod');
const leaseSchema = schemas.forKind('coordination.k8s.io', 'v1', 'Lease');

function bothWays(old: KubeObject, next: KubeObject, opts: ManagedFieldsOptions): KubeObject {
  const fast = structuredClone(next);
  const general = structuredClone(next);
  updateManagedFields(structuredClone(old), fast, opts);
  updateManagedFieldsGeneral(structuredClone(old), general, opts);
  assert.equal(JSON.stringify(fast.metadata.managedFields), JSON.stringify(general.metadata.managedFields));
  return general;
}

function created(obj: KubeObject, manager: string, apiVersion: string, schema = podSchema, now = '2026-01-01T00:00:00Z'): KubeObject {
  updateManagedFieldsGeneral(null, obj, { manager, apiVersion, now, schema });
  return obj;
}

const status = (t: string, state: Record<string, unknown> = { running: { startedAt: t } }) => ({
  phase: 'Running',
  conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: t })),
  podIP: '10.1.0.5',
  podIPs: [{ ip: '10.1.0.5' }],
  startTime: t,
  containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'busybox', imageID: 'docker://sha', containerID: 'docker://abc', state }],
});

function pod(): KubeObject {
  return created(
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n', labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80 }] }], nodeName: 'n1' } },
    'kube-controller-manager',
    'v1',
  );
}

test('a Lease renewal keeps the entries and moves its manager’s time', () => {
  const lease = created({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'n', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' } }, 'kubelet', 'coordination.k8s.io/v1', leaseSchema);
  const next = structuredClone(lease);
  (next.spec as Record<string, unknown>).renewTime = '2026-01-01T00:00:10.000000Z';
  const out = bothWays(lease, next, { manager: 'kubelet', apiVersion: 'coordination.k8s.io/v1', now: '2026-01-01T00:00:10Z', schema: leaseSchema });
  assert.equal(out.metadata.managedFields?.[0]?.time, '2026-01-01T00:00:10Z');
  // A renewal PUT as kubelets send it: without the server-set metadata, which nobody owns.
  const lean = structuredClone(next);
  delete lean.metadata.managedFields;
  delete lean.metadata.uid;
  delete lean.metadata.creationTimestamp;
  const leanOut = bothWays({ ...lease, metadata: { ...lease.metadata, uid: 'u', creationTimestamp: '2026-01-01T00:00:00Z' } }, lean, { manager: 'kubelet', apiVersion: 'coordination.k8s.io/v1', now: '2026-01-01T00:00:10Z', schema: leaseSchema });
  assert.equal(leanOut.metadata.managedFields?.[0]?.time, '2026-01-01T00:00:10Z');
  // The same renewal without the managedFields echoed back, and by another manager (who takes the field).
  delete next.metadata.managedFields;
  bothWays(lease, next, { manager: 'kubelet', apiVersion: 'coordination.k8s.io/v1', now: '2026-01-01T00:00:10Z', schema: leaseSchema });
  bothWays(lease, next, { manager: 'other', apiVersion: 'coordination.k8s.io/v1', now: '2026-01-01T00:00:10Z', schema: leaseSchema });
});

test('pod status writes agree with the general algorithm, steady or changing shape', () => {
  const p0 = pod();
  const sopts = (now: string): ManagedFieldsOptions => ({ manager: 'kubelet', apiVersion: 'v1', subresource: 'status', now, schema: podSchema });
  const p1 = structuredClone(p0);
  p1.status = status('2026-01-01T00:00:01Z', { waiting: { reason: 'ContainerCreating' } });
  const s1 = bothWays(p0, p1, sopts('2026-01-01T00:00:01Z'));
  const p2 = structuredClone(s1);
  p2.status = status('2026-01-01T00:00:02Z');
  const s2 = bothWays(s1, p2, sopts('2026-01-01T00:00:02Z'));
  const p3 = structuredClone(s2);
  p3.status = status('2026-01-01T00:00:03Z');
  bothWays(s2, p3, sopts('2026-01-01T00:00:03Z'));
  // Nothing changed at all.
  bothWays(s2, structuredClone(s2), sopts('2026-01-01T00:00:04Z'));
  // The same status written by another manager, or through the main resource (status is reset there).
  bothWays(s2, p3, { ...sopts('2026-01-01T00:00:03Z'), manager: 'someone' });
  bothWays(s2, p3, { manager: 'kubelet', apiVersion: 'v1', now: '2026-01-01T00:00:03Z', schema: podSchema });
});

test('spec and metadata updates agree with the general algorithm', () => {
  const p0 = pod();
  const opts = (manager: string, now = '2026-01-01T00:01:00Z'): ManagedFieldsOptions => ({ manager, apiVersion: 'v1', now, schema: podSchema });
  const relabel = structuredClone(p0);
  relabel.metadata.labels = { app: 'b' };
  bothWays(p0, relabel, opts('kube-controller-manager'));
  bothWays(p0, relabel, opts('kubectl-label'));
  const added = structuredClone(p0);
  added.metadata.labels = { app: 'a', extra: 'x' };
  const a1 = bothWays(p0, added, opts('kubectl-label'));
  // A field owned by two managers' history, then changed by the first.
  const back = structuredClone(a1);
  back.metadata.labels = { app: 'c', extra: 'x' };
  bothWays(a1, back, opts('kube-controller-manager'));
  bothWays(a1, back, opts('kubectl-label'));
  // Removal.
  const removed = structuredClone(a1);
  removed.metadata.labels = { app: 'a' };
  bothWays(a1, removed, opts('kubectl-label'));
  // Server-set metadata only (nobody owns it).
  const gen = structuredClone(p0);
  gen.metadata.generation = 7;
  bothWays(p0, gen, opts('kube-controller-manager'));
  // Edited, cleared and foreign managedFields in the request.
  const edited = structuredClone(relabel);
  edited.metadata.managedFields = [{ manager: 'x', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } } } }];
  bothWays(p0, edited, opts('kube-controller-manager'));
  const cleared = structuredClone(relabel);
  cleared.metadata.managedFields = [];
  bothWays(p0, cleared, opts('kube-controller-manager'));
  // A live entry that owns nothing (written by a client that sent one) is dropped, whichever path decides.
  const hollow = structuredClone(p0);
  hollow.metadata.managedFields = [...hollow.metadata.managedFields!, { manager: 'nobody', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: {} }];
  const relabelBare = structuredClone(relabel);
  delete relabelBare.metadata.managedFields;
  bothWays(hollow, relabelBare, opts('kube-controller-manager'));
  const broken = structuredClone(relabel);
  broken.metadata.managedFields = [{ manager: 'x' }];
  bothWays(p0, broken, opts('kube-controller-manager'));
  // Another apiVersion of the same manager.
  bothWays(p0, relabel, { ...opts('kube-controller-manager'), apiVersion: 'v2' });
});

test('more than ten update managers and duplicate entries go the general way and agree', () => {
  let cur = pod();
  for (let i = 0; i < 12; i++) {
    const next = structuredClone(cur);
    next.metadata.labels = { ...next.metadata.labels, [`l${i}`]: 'v' };
    cur = bothWays(cur, next, { manager: `m${i}`, apiVersion: 'v1', now: `2026-01-01T00:0${Math.floor(i / 10)}:0${i % 10}Z`, schema: podSchema });
  }
  const next = structuredClone(cur);
  next.metadata.labels = { ...next.metadata.labels, l11: 'w' };
  bothWays(cur, next, { manager: 'm11', apiVersion: 'v1', now: '2026-01-01T00:05:00Z', schema: podSchema });
  const dup = structuredClone(cur);
  dup.metadata.managedFields = [...dup.metadata.managedFields!, dup.metadata.managedFields![0]!];
  bothWays(dup, next, { manager: 'm11', apiVersion: 'v1', now: '2026-01-01T00:05:00Z', schema: podSchema });
});

test('managers are told apart as their identifiers tell them, empty names and appliers’ versions included', () => {
  const lease = created({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'n', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' } }, 'kubelet', 'coordination.k8s.io/v1', leaseSchema);
  const own = lease.metadata.managedFields![0]!;
  const renew = (entries: unknown[]): [KubeObject, KubeObject] => {
    const old = structuredClone(lease);
    old.metadata.managedFields = structuredClone(entries) as typeof old.metadata.managedFields;
    const next = structuredClone(lease);
    delete next.metadata.managedFields;
    (next.spec as Record<string, unknown>).renewTime = '2026-01-01T00:00:10.000000Z';
    return [old, next];
  };
  const opts: ManagedFieldsOptions = { manager: 'kubelet', apiVersion: 'coordination.k8s.io/v1', now: '2026-01-01T00:00:10Z', schema: leaseSchema };
  const other = { operation: 'Update', apiVersion: 'coordination.k8s.io/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:holderIdentity': {} } } };
  const applied = { manager: 'x', operation: 'Apply', apiVersion: 'coordination.k8s.io/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:leaseDurationSeconds': {} } } };
  const cases: unknown[][] = [
    // The manager's own entry with an empty subresource: the same manager as none.
    [{ ...own, subresource: '' }],
    // The manager's entry through a subresource: another manager than a write without one.
    [{ ...own, subresource: 'status' }],
    // Two entries without a manager name, one of them empty: one manager twice.
    [own, { ...other, manager: '' }, other],
    // Two applies of one manager in two versions: one manager (an applier's version is not part of it).
    [own, applied, { ...applied, apiVersion: 'coordination.k8s.io/v2' }],
    // Two updates of one manager in two versions: two managers.
    [own, { ...other, manager: 'y' }, { ...other, manager: 'y', apiVersion: 'coordination.k8s.io/v2', fieldsV1: { 'f:metadata': { 'f:labels': {} } } }],
    // A name that is no string.
    [own, { ...other, manager: 7 }],
    [own, { ...other, manager: 'z', subresource: ['status'] }],
  ];
  for (const entries of cases) {
    const [old, next] = renew(entries);
    bothWays(old, next, opts);
    bothWays(old, next, { ...opts, manager: '' });
  }
  // The first case is the fast path's: only the time of the manager's entry moves.
  const [old, next] = renew(cases[0]!);
  updateManagedFields(old, next, opts);
  assert.deepEqual(next.metadata.managedFields, [{ ...own, time: '2026-01-01T00:00:10Z' }]);
});
