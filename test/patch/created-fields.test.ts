// The create fast path of managedFields must give exactly what the general
// algorithm (compare with nothing, reset and unowned fields dropped) gives.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchemaRegistry } from '../../src/api/schema/registry.js';
import type { SchemaNode } from '../../src/api/schema/types.js';
import { createdFieldsV1 } from '../../src/apiserver/patch/managed/created-fields.js';
import { compare } from '../../src/apiserver/patch/managed/compare.js';
import { FieldSet, fieldElement } from '../../src/apiserver/patch/managed/fieldpath.js';
import { updateManagedFields } from '../../src/apiserver/patch/index.js';
import type { KubeObject } from '../../src/api/types.js';

const UNOWNED = FieldSet.of(
  [['apiVersion'], ['kind'], ['metadata'], ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map((f) => ['metadata', f])].map(
    (p) => p.map(fieldElement),
  ),
);

function general(obj: unknown, schema: SchemaNode | undefined, reset: string[]): Record<string, unknown> | undefined {
  const ignored = FieldSet.of(reset.map((f) => [fieldElement(f)]));
  const set = compare({}, obj, schema).added.recursiveDifference(ignored).difference(UNOWNED);
  return set.isEmpty() ? undefined : set.toFieldsV1();
}

const schemas = loadSchemaRegistry();

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', labels: { app: 'a', tier: '' }, annotations: {}, finalizers: ['x', 'y', 'x'], ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true }] },
  spec: {
    containers: [
      {
        name: 'c',
        image: 'busybox',
        command: ['sleep', '3600'],
        ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }, { containerPort: 80 }],
        env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: {} },
        volumeMounts: [{ name: 'v', mountPath: '/v' }],
        securityContext: null,
      },
      { name: 'd', image: 'busybox' },
    ],
    initContainers: [],
    volumes: [{ name: 'v', emptyDir: {} }, { name: 'w', configMap: { name: 'cm', items: [{ key: 'k', path: 'p' }] } }],
    tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
    nodeSelector: { disk: 'ssd' },
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'k', operator: 'In', values: ['a'] }] }] } } },
    unknownField: { deep: [1, 2] },
  },
  status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False' }] },
};

const cases: [string, string, string, unknown][] = [
  ['', 'v1', 'Pod', pod],
  ['', 'v1', 'Pod', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bare' } }],
  ['', 'v1', 'Pod', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'u', labels: { a: undefined } }, spec: { containers: [{ name: 'x', image: 'i', args: undefined }] } }],
  ['', 'v1', 'Service', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: { app: 'a' }, ports: [{ port: 80, targetPort: 8080 }, { port: 80, protocol: 'UDP', targetPort: 'dns' }], ipFamilies: ['IPv4'] } }],
  ['', 'v1', 'ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'n' }, data: { a: '1', '__proto__': 'x' } }],
  ['', 'v1', 'Event', { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e' }, involvedObject: { kind: 'Pod', name: 'p' }, reason: 'Scheduled', count: 1, source: { component: 's' } }],
  ['coordination.k8s.io', 'v1', 'Lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n' }, spec: { holderIdentity: 'n', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' } }],
  ['apps', 'v1', 'Deployment', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', labels: { a: 'b' } }, spec: { replicas: 3, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: pod.spec }, strategy: {} } }],
  ['', 'v1', 'Node', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', labels: { 'kubernetes.io/hostname': 'n' } }, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] }, status: { capacity: { cpu: '2' } } }],
];

for (const [group, version, kind, obj] of cases) {
  const name = (obj as KubeObject).metadata?.name ?? '';
  test(`a create's managedFields of ${kind} ${name} are the general algorithm's`, () => {
    const schema = schemas.forKind(group, version, kind);
    assert.ok(schema, `schema of ${kind}`);
    for (const reset of [['status'], [], ['spec']]) {
      assert.deepEqual(JSON.stringify(createdFieldsV1(obj, schema, reset)), JSON.stringify(general(obj, schema, reset)), `reset ${reset.join(',')}`);
    }
    // Without a schema every list is atomic and every map granular.
    assert.deepEqual(JSON.stringify(createdFieldsV1(obj, undefined, ['status'])), JSON.stringify(general(obj, undefined, ['status'])));
  });
}

test('a create whose keyed list cannot be read keeps no managedFields, as the general path', () => {
  const schema = schemas.forKind('', 'v1', 'Pod');
  const obj = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad' }, spec: { containers: [{ image: 'no-name' }, 'scalar'] } } as unknown as KubeObject;
  updateManagedFields(null, obj, { manager: 'm', apiVersion: 'v1', now: '2026-01-01T00:00:00Z', schema });
  assert.equal(obj.metadata.managedFields, undefined);
});

test('a create with only unowned fields records no manager', () => {
  const obj: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', uid: 'u' } };
  updateManagedFields(null, obj, { manager: 'm', apiVersion: 'v1', now: '2026-01-01T00:00:00Z', schema: schemas.forKind('', 'v1', 'Namespace') });
  assert.equal(obj.metadata.managedFields, undefined);
});

test("a create's managedFields stay the general algorithm's over thousands of distinct keys, for keys that look like other keys' elements", () => {
  const schema = schemas.forKind('', 'v1', 'Pod');
  // "k:x" as a label and "f:app" as a container name are keys like any other, however many keys came before.
  for (let i = 0; i < 5000; i += 1) {
    const labels: Record<string, string> = { [`l${i}`]: 'v', 'k:x': 'y', 'f:app': 'z' };
    const obj = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, labels }, spec: { containers: [{ name: i % 2 ? 'f:app' : `c${i}`, image: 'i' }, { name: 'k:x', image: 'i' }] } };
    if (i % 499 === 0 || i > 4090) {
      assert.equal(JSON.stringify(createdFieldsV1(obj, schema, ['status'])), JSON.stringify(general(obj, schema, ['status'])), `pod ${i}`);
    } else {
      createdFieldsV1(obj, schema, ['status']);
    }
  }
  const proto = JSON.parse('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","labels":{"__proto__":"x"}},"data":{"__proto__":"y","a":"b"}}') as unknown;
  const got = createdFieldsV1(proto, schemas.forKind('', 'v1', 'ConfigMap'), []);
  assert.equal(JSON.stringify(got), JSON.stringify(general(proto, schemas.forKind('', 'v1', 'ConfigMap'), [])));
  assert.equal(JSON.stringify(got), '{"f:data":{".":{},"f:__proto__":{},"f:a":{}},"f:metadata":{"f:labels":{".":{},"f:__proto__":{}}}}');
});
