import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, LABEL_MSG } from './helpers.js';
import { validateName, validateLabelSelector } from '../../src/api/validation/index.js';
import { resourceFor } from '../../src/api/scheme/resources.js';

const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

function svc(mut?: (s: any) => void): any {
  const s: any = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } };
  mut?.(s);
  return s;
}

test('services: valid, names, ports, type', () => {
  assert.deepEqual(check('', 'services', svc()), []);
  assert.deepEqual(check('', 'services', svc((s) => (s.metadata.name = '1web'))), [`metadata.name: Invalid value: "1web": ${DNS1035_MSG}`]);
  assert.deepEqual(check('', 'services', svc((s) => (s.spec.ports = []))), ['spec.ports: Required value']);
  assert.deepEqual(check('', 'services', svc((s) => (s.spec.ports = [{ port: 80 }, { port: 443, name: 'https' }]))), ['spec.ports[0].name: Required value']);
  assert.deepEqual(check('', 'services', svc((s) => (s.spec.ports = [{ port: 0, protocol: 'HTTP' }]))), [
    'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    // targetPort defaults to port, so upstream reports it too.
    'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
  ]);
  assert.deepEqual(check('', 'services', svc((s) => (s.spec.type = 'Magic'))), [
    'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
  ]);
  assert.deepEqual(check('', 'services', svc((s) => (s.spec.ports[0].nodePort = 30080))), [
    "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
  ]);
  assert.deepEqual(check('', 'services', svc((s) => (s.spec.clusterIP = '10.0.0.300'))), [
    `spec.clusterIPs[0]: Invalid value: "10.0.0.300": must be empty, 'None', or a valid IP address`,
  ]);
});

test('services: clusterIP may not change', () => {
  const old = svc((s) => {
    s.spec.clusterIP = '10.96.0.10';
    s.spec.clusterIPs = ['10.96.0.10'];
  });
  check('', 'services', old);
  const upd = structuredClone(old);
  upd.spec.clusterIP = '10.96.0.11';
  upd.spec.clusterIPs = ['10.96.0.11'];
  assert.deepEqual(check('', 'services', upd, old), ['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set']);
  const omitted = structuredClone(old);
  delete omitted.spec.clusterIP;
  delete omitted.spec.clusterIPs;
  assert.deepEqual(check('', 'services', omitted, old), []);
});

test('configmaps and secrets: keys and types', () => {
  const cm: any = { metadata: { name: 'c', namespace: 'default' }, data: { 'ok.key': 'v', 'bad key': 'v' } };
  assert.deepEqual(check('', 'configmaps', cm), [
    "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
  ]);
  const tls: any = { metadata: { name: 's', namespace: 'default' }, type: 'kubernetes.io/tls', data: {} };
  assert.deepEqual(check('', 'secrets', tls), ['data[tls.crt]: Required value', 'data[tls.key]: Required value']);
  const opaque: any = { metadata: { name: 's', namespace: 'default' }, stringData: { a: 'b' } };
  assert.deepEqual(check('', 'secrets', opaque), []);
  assert.equal(opaque.type, 'Opaque');
  assert.deepEqual(opaque.data, { a: 'Yg==' });
  const immutable: any = { metadata: { name: 'c', namespace: 'default', resourceVersion: '1' }, immutable: true, data: { a: 'b' } };
  const changed = structuredClone(immutable);
  changed.data.a = 'c';
  assert.deepEqual(check('', 'configmaps', changed, immutable), ['data: Forbidden: field is immutable when `immutable` is set']);
});

test('namespaces use DNS labels; cluster-scoped kinds forbid a namespace', () => {
  assert.deepEqual(check('', 'namespaces', { metadata: { name: 'a.b' } }), ['metadata.name: Invalid value: "a.b": must not contain dots']);
  assert.deepEqual(check('', 'namespaces', { metadata: { name: 'Team' } }), [`metadata.name: Invalid value: "Team": ${LABEL_MSG}`]);
  assert.deepEqual(check('', 'nodes', { metadata: { name: 'n1', namespace: 'default' } }), ['metadata.namespace: Forbidden: not allowed on this type']);
  assert.deepEqual(check('', 'configmaps', { metadata: { name: 'c' } }), ['metadata.namespace: Required value']);
});

test('nodes: podCIDRs and their immutability', () => {
  assert.deepEqual(check('', 'nodes', { metadata: { name: 'n1' }, spec: { podCIDRs: ['10.244.0.0/33'] } }), [
    'spec.podCIDRs[0]: Invalid value: "10.244.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
  ]);
  const old: any = { metadata: { name: 'n1' }, spec: { podCIDRs: ['10.244.0.0/24'] } };
  const upd: any = { metadata: { name: 'n1' }, spec: { podCIDRs: ['10.244.1.0/24'] } };
  assert.deepEqual(check('', 'nodes', upd, old), ['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid']);
});

test('persistent volumes and claims', () => {
  const pvc: any = { metadata: { name: 'data', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
  assert.deepEqual(check('', 'persistentvolumeclaims', pvc), []);
  assert.deepEqual(check('', 'persistentvolumeclaims', { metadata: { name: 'd', namespace: 'default' }, spec: {} }), [
    'spec.accessModes: Required value: at least 1 access mode is required',
    'spec.resources[storage]: Required value',
  ]);
  const pv: any = { metadata: { name: 'pv1' }, spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' }, hostPath: { path: '/tmp/x' } } };
  assert.deepEqual(check('', 'persistentvolumes', pv), []);
  assert.deepEqual(check('', 'persistentvolumes', { metadata: { name: 'pv2' }, spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } } }), [
    'spec: Required value: must specify a volume type',
  ]);
});

test('events, leases, endpoint slices', () => {
  const ev: any = { metadata: { name: 'x.1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'x', namespace: 'other' }, reason: 'Started' };
  assert.deepEqual(check('', 'events', ev), ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
  const ev2: any = { metadata: { name: 'x.2', namespace: 'default' }, regarding: { kind: 'Pod', name: 'x', namespace: 'default' }, eventTime: '2024-01-01T00:00:00.000000Z', type: 'Normal', reportingController: 'k8ts/kubelet', reportingInstance: 'n1', action: 'Pull', reason: 'Pulled' };
  assert.deepEqual(check('events.k8s.io', 'events', ev2), []);
  ev2.type = 'Bad';
  assert.deepEqual(check('events.k8s.io', 'events', ev2), ['type: Invalid value: "": has invalid value: Bad']);
  const lease: any = { metadata: { name: 'l', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 0 } };
  assert.deepEqual(check('coordination.k8s.io', 'leases', lease), ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0']);
  const es: any = { metadata: { name: 'web-abc', namespace: 'default' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ port: 80 }] };
  assert.deepEqual(check('discovery.k8s.io', 'endpointslices', es), []);
  es.endpoints[0].addresses = ['fe80::1'];
  assert.deepEqual(check('discovery.k8s.io', 'endpointslices', es), ['endpoints[0].addresses[0]: Invalid value: "fe80::1": must be a valid IPv4 address']);
});

test('validateName and validateLabelSelector', () => {
  assert.deepEqual(validateName(resourceFor('', 'v1', 'pods')!, 'ok-name'), []);
  assert.deepEqual(validateName(resourceFor('', 'v1', 'namespaces')!, 'a.b'), ['must not contain dots']);
  assert.deepEqual(
    validateLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In' }, { key: 'b', operator: 'Exists', values: ['x'] }, { key: 'c', operator: 'Near' }] }, 'spec.selector').map((e) => `${e.field}: ${e.detail}`),
    [
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      'spec.selector.matchExpressions[2].operator: Invalid value: "Near": not a valid selector operator',
    ],
  );
});

test('metadata: annotations size, owner references, finalizers', () => {
  const big: any = { metadata: { name: 'c', namespace: 'default', annotations: { a: 'x'.repeat(256 * 1024) } } };
  assert.deepEqual(check('', 'configmaps', big), ['metadata.annotations: Too long: may not be more than 262144 bytes']);
  const owners: any = { metadata: { name: 'c', namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs' }] } };
  assert.deepEqual(check('', 'configmaps', owners), ['metadata.ownerReferences.uid: Invalid value: "": uid must not be empty']);
  const fin: any = { metadata: { name: 'c', namespace: 'default', finalizers: ['custom'] } };
  assert.deepEqual(check('', 'configmaps', fin), ['metadata.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified']);
});
