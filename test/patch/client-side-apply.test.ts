// The three-way strategic merge patches client-side `kubectl apply` computes
// from the last-applied annotation, as kubectl 1.32 sends them, applied to a
// live (defaulted) Deployment.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategicMergePatch } from '../../src/apiserver/patch/index.js';
import { deployment } from './schemas.js';

const LAST = 'kubectl.kubernetes.io/last-applied-configuration';

function live(): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, annotations: { [LAST]: '{"v":1}', 'deployment.kubernetes.io/revision': '1' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1',
              imagePullPolicy: 'IfNotPresent',
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              ports: [{ containerPort: 80, protocol: 'TCP' }],
            },
            { name: 'sidecar', image: 'busybox', imagePullPolicy: 'Always' },
          ],
          restartPolicy: 'Always',
        },
      },
    },
    status: { replicas: 2 },
  };
}

test('changed image, removed env var and added port update the container in place', () => {
  const patch = {
    metadata: { annotations: { [LAST]: '{"v":2}' } },
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'web' }, { name: 'sidecar' }],
          containers: [
            {
              '$setElementOrder/env': [{ name: 'A' }],
              '$setElementOrder/ports': [{ containerPort: 80 }, { containerPort: 443 }],
              env: [{ $patch: 'delete', name: 'B' }],
              image: 'nginx:2',
              name: 'web',
              ports: [{ containerPort: 443 }],
            },
          ],
        },
      },
    },
  };
  const out = applyStrategicMergePatch(live(), patch, deployment) as any;
  assert.equal(out.metadata.annotations[LAST], '{"v":2}');
  assert.equal(out.metadata.annotations['deployment.kubernetes.io/revision'], '1');
  assert.deepEqual(out.spec.template.spec.containers, [
    {
      name: 'web',
      image: 'nginx:2',
      imagePullPolicy: 'IfNotPresent',
      env: [{ name: 'A', value: '1' }],
      ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443 }],
    },
    { name: 'sidecar', image: 'busybox', imagePullPolicy: 'Always' },
  ]);
  assert.equal(out.spec.replicas, 2);
  assert.deepEqual(out.status, { replicas: 2 });
});

test('a container removed from the manifest is deleted, the order of the rest kept', () => {
  const patch = {
    spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ $patch: 'delete', name: 'sidecar' }] } } },
  };
  const out = applyStrategicMergePatch(live(), patch, deployment) as any;
  assert.deepEqual(
    out.spec.template.spec.containers.map((c: any) => c.name),
    ['web'],
  );
});

test('a new container goes where the manifest puts it', () => {
  const patch = {
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'init' }, { name: 'web' }, { name: 'sidecar' }],
          containers: [{ image: 'alpine', name: 'init' }],
        },
      },
    },
  };
  const out = applyStrategicMergePatch(live(), patch, deployment) as any;
  assert.deepEqual(
    out.spec.template.spec.containers.map((c: any) => c.name),
    ['init', 'web', 'sidecar'],
  );
});

test('strategy switched to Recreate clears rollingUpdate through $retainKeys; a dropped replicas is removed', () => {
  const patch = { spec: { replicas: null, strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } } };
  const out = applyStrategicMergePatch(live(), patch, deployment) as any;
  assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
  assert.equal('replicas' in out.spec, false);
});

test('labels and selector-like atomic maps: a label removed from the manifest is deleted', () => {
  const patch = { metadata: { labels: { tier: 'front' } }, spec: { template: { metadata: { labels: { app: null, run: 'web' } } } } };
  const out = applyStrategicMergePatch(live(), patch, deployment) as any;
  assert.deepEqual(out.metadata.labels, { app: 'web', tier: 'front' });
  assert.deepEqual(out.spec.template.metadata.labels, { run: 'web' });
});
