// managedFields for non-apply writes (operation Update).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { updateManagedFields } from '../../src/apiserver/patch/index.js';
import type { KubeObject, ManagedFieldsEntry } from '../../src/api/types.js';
import { deployment } from './schemas.js';

const T1 = '2024-05-01T10:00:00Z';
const T2 = '2024-05-01T11:00:00Z';

function newDeployment(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '5', labels: { app: 'web' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1', ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
      },
    },
  };
}

function write(old: KubeObject | null, next: KubeObject, manager: string, now: string, extra: { subresource?: string } = {}): KubeObject {
  updateManagedFields(old, next, { manager, apiVersion: 'apps/v1', now, schema: deployment, ...extra });
  return next;
}

function entry(obj: KubeObject, manager: string): ManagedFieldsEntry | undefined {
  return obj.metadata.managedFields?.find((e) => e.manager === manager);
}

test('a create records every field for its manager, in fieldsV1, without the fields nobody owns', () => {
  const obj = write(null, newDeployment(), 'kubectl-create', T1);
  assert.deepEqual(obj.metadata.managedFields, [
    {
      manager: 'kubectl-create',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: T1,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
            'f:spec': {
              'f:containers': {
                'k:{"name":"nginx"}': {
                  '.': {},
                  'f:image': {},
                  'f:name': {},
                  'f:ports': { '.': {}, 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} } },
                },
              },
            },
          },
        },
      },
    },
  ]);
});

test('another manager takes the fields it changes; the first keeps the rest and its time', () => {
  const created = write(null, newDeployment(), 'kubectl-create', T1);
  const next = structuredClone(created);
  (next.spec as any).replicas = 3;
  write(created, next, 'kubectl-scale', T2);
  const scale = entry(next, 'kubectl-scale')!;
  assert.deepEqual(scale.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  assert.equal(scale.time, T2);
  const create = entry(next, 'kubectl-create')!;
  assert.equal(create.time, T1);
  assert.equal('f:replicas' in (create.fieldsV1 as any)['f:spec'], false);
  // Sorted oldest first.
  assert.deepEqual(
    next.metadata.managedFields!.map((e) => e.manager),
    ['kubectl-create', 'kubectl-scale'],
  );
});

test('a write that changes nothing adds no entry and stamps no time', () => {
  const created = write(null, newDeployment(), 'kubectl-create', T1);
  const next = structuredClone(created);
  write(created, next, 'kubectl-edit', T2);
  assert.deepEqual(next.metadata.managedFields, created.metadata.managedFields);
});

test('a removed field leaves every owner', () => {
  const created = write(null, newDeployment(), 'kubectl-create', T1);
  const next = structuredClone(created);
  delete next.metadata.labels;
  write(created, next, 'kubectl-label', T2);
  assert.equal(entry(next, 'kubectl-label'), undefined);
  assert.equal('f:metadata' in (entry(next, 'kubectl-create')!.fieldsV1 as any), false);
});

test('managedFields sent with a write are kept; [{}] starts over', () => {
  const created = write(null, newDeployment(), 'kubectl-create', T1);
  const edited = structuredClone(created);
  edited.metadata.managedFields![0]!.manager = 'renamed';
  write(created, edited, 'kubectl-edit', T2);
  assert.deepEqual(
    edited.metadata.managedFields!.map((e) => e.manager),
    ['renamed'],
  );

  const reset = structuredClone(created);
  reset.metadata.managedFields = [{}];
  (reset.spec as any).replicas = 4;
  write(created, reset, 'kubectl-edit', T2);
  assert.deepEqual(reset.metadata.managedFields, [
    { manager: 'kubectl-edit', operation: 'Update', apiVersion: 'apps/v1', time: T2, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
  ]);
});

test('invalid managedFields in a write fall back to the live ones', () => {
  const created = write(null, newDeployment(), 'kubectl-create', T1);
  const next = structuredClone(created);
  next.metadata.managedFields = [{ manager: 'x', operation: 'Frob' as any, apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: {} }];
  write(created, next, 'kubectl-edit', T2);
  assert.deepEqual(next.metadata.managedFields, created.metadata.managedFields);
});

test('a status write is its own entry with subresource, and spec is not tracked through it', () => {
  const created = write(null, newDeployment(), 'kubectl-create', T1);
  const next = structuredClone(created);
  next.status = { replicas: 1 };
  (next.spec as any).replicas = 9;
  write(created, next, 'kube-controller-manager', T2, { subresource: 'status' });
  const e = entry(next, 'kube-controller-manager')!;
  assert.equal(e.subresource, 'status');
  assert.deepEqual(e.fieldsV1, { 'f:status': { 'f:replicas': {} } });
});

test('status changes through the main resource are not tracked', () => {
  const created = write(null, newDeployment(), 'kubectl-create', T1);
  const next = structuredClone(created);
  next.status = { replicas: 1 };
  write(created, next, 'someone', T2);
  assert.equal(entry(next, 'someone'), undefined);
});

test('list items are tracked by merge key: a new env var belongs to its writer', () => {
  const created = write(null, newDeployment(), 'kubectl-create', T1);
  const next = structuredClone(created);
  (next.spec as any).template.spec.containers[0].env = [{ name: 'A', value: '1' }];
  write(created, next, 'kubectl-set', T2);
  assert.deepEqual(entry(next, 'kubectl-set')!.fieldsV1, {
    'f:spec': {
      'f:template': {
        'f:spec': {
          'f:containers': {
            'k:{"name":"nginx"}': { 'f:env': { '.': {}, 'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:value': {} } } },
          },
        },
      },
    },
  });
});

test('more than ten update managers fold the oldest into ancient-changes', () => {
  let cur = write(null, newDeployment(), 'm0', '2024-01-01T00:00:00Z');
  for (let i = 1; i <= 11; i++) {
    const next = structuredClone(cur);
    next.metadata.labels = { ...next.metadata.labels, [`l${i}`]: 'x' };
    write(cur, next, `m${i}`, `2024-01-01T00:00:${String(i).padStart(2, '0')}Z`);
    cur = next;
  }
  const managers = cur.metadata.managedFields!.map((e) => e.manager);
  assert.equal(managers.length, 10);
  assert.ok(managers.includes('ancient-changes'));
  assert.ok(!managers.includes('m0') && !managers.includes('m1') && !managers.includes('m2'));
});
