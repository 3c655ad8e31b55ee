import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSideApply, updateManagedFields, LAST_APPLIED } from '../../src/apiserver/patch/index.js';
import { StatusError } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/types.js';
import { configMap, deployment } from './schemas.js';

const T1 = '2024-05-01T10:00:00Z';
const T2 = '2024-05-01T11:00:00Z';
const T3 = '2024-05-01T12:00:00Z';

function config(spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', ...meta },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1' }] } },
      ...spec,
    },
  };
}

function apply(live: KubeObject | null, cfg: KubeObject, manager: string, now: string, force = false): KubeObject {
  return serverSideApply(live, cfg, { manager, force, apiVersion: 'apps/v1', schema: deployment, now });
}

function conflictOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StatusError);
    return e;
  }
  assert.fail('expected a conflict');
}

test('apply to nothing creates the object, owned by the applier', () => {
  const cfg = config();
  const out = apply(null, cfg, 'kubectl', T1);
  assert.equal((out.spec as any).replicas, 2);
  assert.deepEqual(out.metadata.managedFields, [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: T1,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
          },
        },
      },
    },
  ]);
  assert.deepEqual(cfg, config(), 'the configuration is not changed');
});

test('re-applying the same configuration changes nothing, not even the time', () => {
  const first = apply(null, config(), 'kubectl', T1);
  const again = apply(first, config(), 'kubectl', T2);
  assert.deepEqual(again, first);
});

test('a field the applier stops applying is removed', () => {
  const first = apply(null, config({}, { labels: { app: 'web', tier: 'front' } }), 'kubectl', T1);
  const smaller = config({}, { labels: { app: 'web' } });
  delete (smaller.spec as any).replicas;
  const second = apply(first, smaller, 'kubectl', T2);
  assert.deepEqual(second.metadata.labels, { app: 'web' });
  assert.equal('replicas' in (second.spec as any), false);
});

test('a field another applier also owns stays when one stops applying it', () => {
  const a = apply(null, config({}, { labels: { shared: 'x' } }), 'a', T1);
  const b = apply(a, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { shared: 'x' } } }, 'b', T2);
  const aAgain = apply(b, config(), 'a', T3);
  assert.deepEqual(aAgain.metadata.labels, { shared: 'x' });
  const owners = aAgain.metadata.managedFields!.map((e) => e.manager).sort();
  assert.deepEqual(owners, ['a', 'b']);
});

test('a container dropped from the configuration goes; the others keep their order', () => {
  const two = config({ template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }] } } });
  const first = apply(null, two, 'kubectl', T1);
  const one = config({ template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'b', image: 'b2' }] } } });
  const out = apply(first, one, 'kubectl', T2);
  assert.deepEqual((out.spec as any).template.spec.containers, [{ name: 'b', image: 'b2' }]);
});

test('items only the live list has stay where they were', () => {
  const live = apply(null, config({ template: { spec: { containers: [{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }, { name: 'c', image: 'c' }] } } }), 'other', T1);
  const out = apply(live, config({ template: { spec: { containers: [{ name: 'c', image: 'c' }, { name: 'd', image: 'd' }] } } }), 'mine', T2);
  assert.deepEqual(
    (out.spec as any).template.spec.containers.map((c: any) => c.name),
    ['a', 'b', 'c', 'd'],
  );
});

test('a port without protocol is the same item as the live TCP one (key default)', () => {
  const withPort = (image: string) =>
    config({ template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image, ports: [{ containerPort: 80 }] }] } } });
  const first = apply(null, withPort('nginx:1'), 'kubectl', T1);
  (first.spec as any).template.spec.containers[0].ports[0].protocol = 'TCP';
  const out = apply(first, withPort('nginx:2'), 'kubectl', T2);
  assert.deepEqual((out.spec as any).template.spec.containers[0].ports, [{ containerPort: 80, protocol: 'TCP' }]);
});

test('a conflicting update (kubectl scale) makes the next apply fail, as upstream words it', () => {
  const applied = apply(null, config(), 'kubectl', T1);
  const scaled = structuredClone(applied);
  (scaled.spec as any).replicas = 5;
  updateManagedFields(applied, scaled, { manager: 'kubectl-scale', apiVersion: 'apps/v1', now: T2, schema: deployment });
  const err = conflictOf(() => apply(scaled, config({ replicas: 3 }), 'kubectl', T3));
  assert.equal(err.code, 409);
  assert.equal(err.reason, 'Conflict');
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas');
  assert.deepEqual(err.details, {
    causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-scale" using apps/v1', field: '.spec.replicas' }],
  });
  // Applying the live value is no conflict: the field becomes shared.
  const same = apply(scaled, config({ replicas: 5 }), 'kubectl', T3);
  assert.equal((same.spec as any).replicas, 5);
  // Forcing takes the field over.
  const forced = apply(scaled, config({ replicas: 3 }), 'kubectl', T3, true);
  assert.equal((forced.spec as any).replicas, 3);
  assert.equal(
    forced.metadata.managedFields!.find((e) => e.manager === 'kubectl-scale'),
    undefined,
    'kubectl-scale owned nothing else and is gone',
  );
});

test('several conflicts are listed by manager', () => {
  const applied = apply(null, config(), 'kubectl', T1);
  const err = conflictOf(() =>
    apply(applied, config({ replicas: 4, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:9' }] } } }), 'other', T2),
  );
  assert.equal(
    err.message,
    'Apply failed with 2 conflicts: conflicts with "kubectl":\n- .spec.replicas\n- .spec.template.spec.containers[name="nginx"].image',
  );
});

test('kubectl moving from client-side to server-side apply takes over unchanged fields without conflict', () => {
  const cfg = config();
  const csa = structuredClone(cfg);
  csa.metadata.annotations = { [LAST_APPLIED]: JSON.stringify(cfg) };
  updateManagedFields(null, csa, { manager: 'kubectl-client-side-apply', apiVersion: 'apps/v1', now: T1, schema: deployment });
  const out = apply(csa, config({ replicas: 3 }), 'kubectl', T2);
  assert.equal((out.spec as any).replicas, 3);
  // The annotation now records what was applied (Go's JSON: keys sorted, trailing newline).
  const last = out.metadata.annotations![LAST_APPLIED]!;
  assert.ok(last.endsWith('\n'));
  assert.equal(JSON.parse(last).spec.replicas, 3);
  assert.ok(last.startsWith('{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},"spec":{"replicas":3'));
  // Another manager gets no such pass.
  assert.equal(conflictOf(() => apply(csa, config({ replicas: 3 }), 'someone', T2)).code, 409);
});

test('an apply changing a field client-side apply set to something else still conflicts', () => {
  const cfg = config();
  const csa = structuredClone(cfg);
  csa.metadata.annotations = { [LAST_APPLIED]: JSON.stringify(config({ replicas: 7 })) };
  updateManagedFields(null, csa, { manager: 'kubectl-client-side-apply', apiVersion: 'apps/v1', now: T1, schema: deployment });
  const err = conflictOf(() => apply(csa, config({ replicas: 3 }), 'kubectl', T2));
  assert.match(err.message, /conflict with "kubectl-client-side-apply" using apps\/v1: \.spec\.replicas/);
});

test('bad configurations: managedFields set, wrong version, unknown field', () => {
  const withManaged = config();
  withManaged.metadata.managedFields = [];
  let err = conflictOf(() => apply(null, withManaged, 'kubectl', T1));
  assert.equal(err.code, 400);
  assert.equal(err.message, 'metadata.managedFields must be nil');

  err = conflictOf(() => serverSideApply(null, { ...config(), apiVersion: 'apps/v1beta1' }, { manager: 'k', force: false, apiVersion: 'apps/v1', schema: deployment, now: T1 }));
  assert.equal(err.message, 'invalid object type: apps/v1beta1, Kind=Deployment');

  err = conflictOf(() => apply(null, config({ bogus: 1 }), 'kubectl', T1));
  assert.equal(err.code, 500);
  assert.equal(err.message, 'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.bogus: field not declared in schema');
});

test('maps of strings (ConfigMap data) are owned key by key', () => {
  const opts = (manager: string, now: string) => ({ manager, force: false, apiVersion: 'v1', schema: configMap, now });
  const cm = (data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });
  const a = serverSideApply(null, cm({ x: '1' }), opts('a', T1));
  const b = serverSideApply(a, cm({ y: '2' }), opts('b', T2));
  assert.deepEqual(b.data, { x: '1', y: '2' });
  const a2 = serverSideApply(b, cm({}), opts('a', T3));
  assert.deepEqual(a2.data, { y: '2' });
  const err = conflictOf(() => serverSideApply(a2, cm({ y: '3' }), opts('a', T3)));
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "b": .data.y');
});

test('without a schema everything is deduced: lists atomic, map keys members', () => {
  const opts = { manager: 'a', force: false, apiVersion: 'v1', schema: undefined, now: T1 };
  const out = serverSideApply(null, { apiVersion: 'v1', kind: 'Thing', metadata: { name: 't' }, spec: { list: [1, 2] } }, opts);
  assert.deepEqual(out.metadata.managedFields![0]!.fieldsV1, { 'f:spec': { '.': {}, 'f:list': {} } });
});
