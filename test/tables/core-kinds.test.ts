import { test } from 'node:test';
import assert from 'node:assert/strict';
import { D, H, M, ago, obj } from './fixtures.js';
import { firstRow } from './helpers.js';

test('nodes: Ready, NotReady, Unknown, SchedulingDisabled, roles and wide info', () => {
  const node = obj(
    'cp-1',
    {
      metadata: { namespace: undefined, labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '', 'kubernetes.io/role': 'infra' } },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
        addresses: [{ type: 'Hostname', address: 'cp-1' }, { type: 'InternalIP', address: '192.0.2.10' }],
        nodeInfo: { kubeletVersion: 'v1.32.4', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', containerRuntimeVersion: 'containerd://1.7.0' },
      },
    },
    5 * D,
  );
  assert.deepEqual(firstRow('', 'v1', 'nodes', node), {
    headers: ['Name', 'Status', 'Roles', 'Age', 'Version', '(Internal-IP)', '(External-IP)', '(OS-Image)', '(Kernel-Version)', '(Container-Runtime)'],
    cells: ['cp-1', 'Ready,SchedulingDisabled', 'control-plane,infra,worker', '5d', 'v1.32.4', '192.0.2.10', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0', 'containerd://1.7.0'],
  });
  const bare = obj('n2', { status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }, 30 * M);
  assert.deepEqual(firstRow('', 'v1', 'nodes', bare).cells, ['n2', 'NotReady', '<none>', '30m', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  assert.equal(firstRow('', 'v1', 'nodes', obj('n3', { status: {} })).cells[1], 'Unknown');
});

test('namespaces, configmaps, secrets, serviceaccounts', () => {
  assert.deepEqual(firstRow('', 'v1', 'namespaces', obj('kube-system', { status: { phase: 'Active' } }, 400 * D)), {
    headers: ['Name', 'Status', 'Age'],
    cells: ['kube-system', 'Active', '400d'],
  });
  assert.deepEqual(firstRow('', 'v1', 'configmaps', obj('cfg', { data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }, 90 * M)), {
    headers: ['Name', 'Data', 'Age'],
    cells: ['cfg', 3, '90m'],
  });
  assert.deepEqual(firstRow('', 'v1', 'secrets', obj('tls', { type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==', 'tls.key': 'eA==' } }, 59 * 1000)), {
    headers: ['Name', 'Type', 'Data', 'Age'],
    cells: ['tls', 'kubernetes.io/tls', 2, '59s'],
  });
  assert.deepEqual(firstRow('', 'v1', 'secrets', obj('empty', { type: 'Opaque' }, 3 * H + 4 * M)).cells, ['empty', 'Opaque', 0, '3h4m']);
  assert.deepEqual(firstRow('', 'v1', 'serviceaccounts', obj('default', { secrets: [{ name: 'tok' }] }, 47 * H)), {
    headers: ['Name', 'Secrets', 'Age'],
    cells: ['default', 1, '47h'],
  });
});

test('services of each type', () => {
  const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}) => firstRow('', 'v1', 'services', obj('web', { spec, status }, 3 * D + 4 * H));
  const cip = svc({ type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], selector: { 'k8s-app': 'kube-dns', a: 'b' } });
  assert.deepEqual(cip, {
    headers: ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', '(Selector)'],
    cells: ['web', 'ClusterIP', '10.96.0.10', '<none>', '53/UDP,53/TCP', '3d4h', 'a=b,k8s-app=kube-dns'],
  });
  assert.deepEqual(svc({ type: 'NodePort', clusterIPs: ['10.96.1.1'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] }).cells, ['web', 'NodePort', '10.96.1.1', '<none>', '80:30080/TCP', '3d4h', '<none>']);
  assert.deepEqual(svc({ type: 'LoadBalancer', clusterIPs: ['10.96.1.2'], ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] }).cells.slice(1, 5), ['LoadBalancer', '10.96.1.2', '<pending>', '443:31443/TCP']);
  assert.equal(
    svc({ type: 'LoadBalancer', clusterIPs: ['10.96.1.2'], externalIPs: ['198.51.100.9'] }, { loadBalancer: { ingress: [{ ip: '203.0.113.7' }, { hostname: 'lb.example.com' }] } }).cells[3],
    '203.0.113.7,lb.example.com,198.51.100.9',
  );
  assert.deepEqual(svc({ type: 'ExternalName', externalName: 'db.example.com' }).cells.slice(1, 5), ['ExternalName', '<none>', 'db.example.com', '<none>']);
  assert.equal(svc({ type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'] }).cells[2], 'None');
});

test('endpoints list addresses, elide after three', () => {
  const ep = obj('web', {
    subsets: [
      { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }, { port: 443 }] },
      { addresses: [{ ip: 'fd00::1' }], ports: [{ port: 8080 }] },
    ],
  });
  assert.deepEqual(firstRow('', 'v1', 'endpoints', ep), {
    headers: ['Name', 'Endpoints', 'Age'],
    cells: ['web', '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more...', '3d'],
  });
  assert.equal(firstRow('', 'v1', 'endpoints', obj('headless', { subsets: [{ addresses: [{ ip: '10.0.0.9' }] }] })).cells[1], '10.0.0.9');
  assert.equal(firstRow('', 'v1', 'endpoints', obj('none', {})).cells[1], '<none>');
});

test('persistent volumes and claims', () => {
  const pv = obj('pv-1', {
    spec: {
      capacity: { storage: '1024Mi' },
      accessModes: ['ReadWriteMany', 'ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      claimRef: { namespace: 'default', name: 'data' },
      storageClassName: 'standard',
      volumeMode: 'Filesystem',
    },
    status: { phase: 'Bound' },
  });
  assert.deepEqual(firstRow('', 'v1', 'persistentvolumes', pv), {
    headers: ['Name', 'Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age', '(VolumeMode)'],
    cells: ['pv-1', '1Gi', 'RWO,RWX', 'Retain', 'Bound', 'default/data', 'standard', '<unset>', '', '3d', 'Filesystem'],
  });
  const bound = obj('data', { spec: { volumeName: 'pv-1', storageClassName: 'standard', resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] } });
  assert.deepEqual(firstRow('', 'v1', 'persistentvolumeclaims', bound), {
    headers: ['Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age', '(VolumeMode)'],
    cells: ['data', 'Bound', 'pv-1', '1Gi', 'RWO', 'standard', '<unset>', '3d', '<unset>'],
  });
  const pending = obj('wait', { metadata: { annotations: { 'volume.beta.kubernetes.io/storage-class': 'slow' }, deletionTimestamp: ago(1000) }, spec: { resources: { requests: { storage: '5Gi' } } }, status: { phase: 'Pending' } });
  assert.deepEqual(firstRow('', 'v1', 'persistentvolumeclaims', pending).cells.slice(1, 6), ['Terminating', '', '', '', 'slow']);
});

test('replication controllers, limit ranges (default table) and resource quotas', () => {
  const rc = obj('rc', { spec: { replicas: 3, selector: { app: 'x' }, template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } }, status: { replicas: 3, readyReplicas: 2 } });
  assert.deepEqual(firstRow('', 'v1', 'replicationcontrollers', rc), {
    headers: ['Name', 'Desired', 'Current', 'Ready', 'Age', '(Containers)', '(Images)', '(Selector)'],
    cells: ['rc', 3, 3, 2, '3d', 'c', 'busybox', 'app=x'],
  });
  assert.deepEqual(firstRow('', 'v1', 'limitranges', obj('limits', { metadata: { creationTimestamp: '2024-04-01T08:30:00Z' } })), {
    headers: ['Name', 'Created At'],
    cells: ['limits', '2024-04-01T08:30:00Z'],
  });
  const quota = obj('q', {
    status: {
      hard: { 'limits.memory': '2Gi', pods: '10', 'requests.cpu': '1', 'limits.cpu': '2' },
      used: { 'limits.memory': '512Mi', pods: '3', 'requests.cpu': '500m' },
    },
  });
  assert.deepEqual(firstRow('', 'v1', 'resourcequotas', quota), {
    headers: ['Name', 'Request', 'Limit', 'Age'],
    cells: ['q', 'pods: 3/10, requests.cpu: 500m/1', 'limits.cpu: 0/2, limits.memory: 512Mi/2Gi', '3d'],
  });
});
