import { test } from 'node:test';
import assert from 'node:assert/strict';
import { D, H, M, S, ago, obj } from './fixtures.js';
import { firstRow } from './helpers.js';

const template = { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'log', image: 'busybox' }] } };

test('deployments: READY x/y, UP-TO-DATE, AVAILABLE, wide selector without <none>', () => {
  const d = obj('web', {
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe', 'be'] }] }, template },
    status: { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 },
  });
  assert.deepEqual(firstRow('apps', 'v1', 'deployments', d), {
    headers: ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', '(Containers)', '(Images)', '(Selector)'],
    cells: ['web', '2/3', 3, 2, '3d', 'web,log', 'nginx:1.27,busybox', 'app=web,tier in (be,fe)'],
  });
  const fresh = obj('new', { spec: { replicas: 1, selector: {}, template }, status: {} }, 5 * S);
  assert.deepEqual(firstRow('apps', 'v1', 'deployments', fresh).cells, ['new', '0/1', 0, 0, '5s', 'web,log', 'nginx:1.27,busybox', '']);
});

test('replicasets and daemonsets', () => {
  const rs = obj('web-5d4f', { spec: { replicas: 2, selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d4f' } }, template }, status: { replicas: 2, readyReplicas: 1 } });
  assert.deepEqual(firstRow('apps', 'v1', 'replicasets', rs), {
    headers: ['Name', 'Desired', 'Current', 'Ready', 'Age', '(Containers)', '(Images)', '(Selector)'],
    cells: ['web-5d4f', 2, 2, 1, '3d', 'web,log', 'nginx:1.27,busybox', 'app=web,pod-template-hash=5d4f'],
  });
  const ds = obj('proxy', {
    spec: { selector: { matchExpressions: [{ key: 'k8s-app', operator: 'Exists' }, { key: 'gone', operator: 'DoesNotExist' }] }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'p', image: 'kube-proxy' }] } } },
    status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 2, numberAvailable: 3 },
  });
  assert.deepEqual(firstRow('apps', 'v1', 'daemonsets', ds), {
    headers: ['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', '(Containers)', '(Images)', '(Selector)'],
    cells: ['proxy', 3, 3, 3, 2, 3, 'kubernetes.io/os=linux', '3d', 'p', 'kube-proxy', '!gone,k8s-app'],
  });
  const dsNoSel = obj('x', { spec: { template: { spec: { containers: [] } } }, status: {} });
  assert.deepEqual(firstRow('apps', 'v1', 'daemonsets', dsNoSel).cells.slice(6), ['<none>', '3d', '', '', '<none>']);
});

test('statefulsets and controllerrevisions', () => {
  const sts = obj('db', { spec: { replicas: 3, template }, status: { replicas: 3, readyReplicas: 3 } });
  assert.deepEqual(firstRow('apps', 'v1', 'statefulsets', sts), {
    headers: ['Name', 'Ready', 'Age', '(Containers)', '(Images)'],
    cells: ['db', '3/3', '3d', 'web,log', 'nginx:1.27,busybox'],
  });
  const cr = obj('db-7c9', {
    metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'u', controller: true }] },
    revision: 4,
    data: {},
  });
  assert.deepEqual(firstRow('apps', 'v1', 'controllerrevisions', cr), {
    headers: ['Name', 'Controller', 'Revision', 'Age'],
    cells: ['db-7c9', 'statefulset.apps/db', 4, '3d'],
  });
  assert.equal(firstRow('apps', 'v1', 'controllerrevisions', obj('orphan', { revision: 1 })).cells[1], '<none>');
});

test('jobs: status, completions, duration', () => {
  const job = (spec: Record<string, unknown>, status: Record<string, unknown>, meta = {}) =>
    firstRow('batch', 'v1', 'jobs', obj('pi', { metadata: meta, spec: { template, ...spec }, status }, 2 * D + H));
  const done = job(
    { completions: 1, parallelism: 1, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'abc' } } },
    { succeeded: 1, startTime: ago(2 * D), completionTime: ago(2 * D - 17 * S), conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] },
  );
  assert.deepEqual(done, {
    headers: ['Name', 'Status', 'Completions', 'Duration', 'Age', '(Containers)', '(Images)', '(Selector)'],
    cells: ['pi', 'Complete', '1/1', '17s', '2d1h', 'web,log', 'nginx:1.27,busybox', 'batch.kubernetes.io/controller-uid=abc'],
  });
  assert.deepEqual(job({ completions: 5, parallelism: 2 }, { succeeded: 2, active: 2, startTime: ago(4 * M) }).cells.slice(1, 4), ['Running', '2/5', '4m']);
  assert.deepEqual(job({ parallelism: 3 }, { succeeded: 1 }).cells.slice(1, 4), ['Running', '1/1 of 3', '']);
  assert.deepEqual(job({ parallelism: 1 }, { failed: 1, conditions: [{ type: 'FailureTarget', status: 'True' }, { type: 'Failed', status: 'True' }] }).cells.slice(1, 3), ['Failed', '0/1']);
  assert.equal(job({ completions: 1 }, { conditions: [{ type: 'FailureTarget', status: 'True' }] }).cells[1], 'FailureTarget');
  assert.equal(job({ completions: 1, suspend: true }, { conditions: [{ type: 'Suspended', status: 'True' }] }).cells[1], 'Suspended');
  assert.equal(job({ completions: 1 }, { conditions: [{ type: 'Suspended', status: 'True' }] }, { deletionTimestamp: ago(S) }).cells[1], 'Terminating');
});

test('cronjobs', () => {
  const cj = obj('nightly', {
    spec: { schedule: '0 3 * * *', suspend: false, jobTemplate: { spec: { template } } },
    status: { active: [{ name: 'nightly-1' }], lastScheduleTime: ago(9 * H) },
  });
  assert.deepEqual(firstRow('batch', 'v1', 'cronjobs', cj), {
    headers: ['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age', '(Containers)', '(Images)', '(Selector)'],
    cells: ['nightly', '0 3 * * *', '<none>', 'False', 1, '9h', '3d', 'web,log', 'nginx:1.27,busybox', '<none>'],
  });
  const tz = obj('tz', { spec: { schedule: '@hourly', timeZone: 'Etc/UTC', suspend: true, jobTemplate: { spec: { template } } }, status: {} });
  assert.deepEqual(firstRow('batch', 'v1', 'cronjobs', tz).cells.slice(1, 6), ['@hourly', 'Etc/UTC', 'True', 0, '<none>']);
});

test('leases and endpointslices', () => {
  assert.deepEqual(firstRow('coordination.k8s.io', 'v1', 'leases', obj('kube-scheduler', { spec: { holderIdentity: 'node-1_abc', leaseDurationSeconds: 15 } })), {
    headers: ['Name', 'Holder', 'Age'],
    cells: ['kube-scheduler', 'node-1_abc', '3d'],
  });
  assert.equal(firstRow('coordination.k8s.io', 'v1', 'leases', obj('free', { spec: {} })).cells[1], '');
  const slice = obj('web-abc12', {
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'named' }, { port: 443 }, { port: 8443 }],
    endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2', '10.0.0.3'] }, { addresses: ['10.0.0.4'] }],
  });
  assert.deepEqual(firstRow('discovery.k8s.io', 'v1', 'endpointslices', slice), {
    headers: ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age'],
    cells: ['web-abc12', 'IPv4', '80,named,443 + 1 more...', '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...', '3d'],
  });
  assert.deepEqual(firstRow('discovery.k8s.io', 'v1', 'endpointslices', obj('empty', { addressType: 'IPv6', ports: [{}] })).cells.slice(2, 4), ['*', '<unset>']);
});
