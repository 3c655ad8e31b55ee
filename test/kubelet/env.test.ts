import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContainerConfigError, makeEnvironment, type EnvLookups } from '../../src/kubelet/pod/env.js';
import type { Pod } from '../../src/kubelet/api-types.js';

const pod: Pod = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u-1', labels: { app: 'web' }, annotations: { a: '1' } },
  spec: {
    nodeName: 'n1',
    serviceAccountName: 'sa',
    containers: [{ name: 'c', image: 'x', resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m' } } }],
  },
};

const lookups: EnvLookups = {
  async configMap(_ns, name) {
    return name === 'cm' ? { metadata: { name }, data: { k1: 'v1', k2: 'v2' } } : undefined;
  },
  async secret(_ns, name) {
    return name === 's' ? { metadata: { name }, data: { pw: Buffer.from('hunter2').toString('base64') } } : undefined;
  },
  podIP: '10.0.0.5',
  hostIP: '192.168.1.2',
  nodeName: 'n1',
  allocatable: { cpu: '4', memory: '8Gi' },
};

test('env: literals, expansion, fieldRef, resourceFieldRef, configMap/secret refs and envFrom', async () => {
  const env = await makeEnvironment(
    pod,
    {
      name: 'c',
      image: 'x',
      envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'CM_' }, { secretRef: { name: 's' } }],
      env: [
        { name: 'A', value: 'hello' },
        { name: 'B', value: '$(A) world $(CM_k1) $(NOPE)' },
        { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'LBL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
        { name: 'CPUREQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'K2', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k2' } } },
        { name: 'PW', valueFrom: { secretKeyRef: { name: 's', key: 'pw' } } },
        { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'missing', key: 'x', optional: true } } },
      ],
    },
    lookups,
  );
  const m = Object.fromEntries(env.map((e) => [e.name, e.value]));
  assert.equal(m.CM_k1, 'v1');
  assert.equal(m.pw, 'hunter2');
  assert.equal(m.B, 'hello world v1 $(NOPE)');
  assert.equal(m.NAME, 'p');
  assert.equal(m.NS, 'ns');
  assert.equal(m.LBL, 'web');
  assert.equal(m.IP, '10.0.0.5');
  assert.equal(m.HOST, '192.168.1.2');
  assert.equal(m.NODE, 'n1');
  assert.equal(m.CPU, '500');
  assert.equal(m.CPUREQ, '1');
  assert.equal(m.MEM, '128');
  assert.equal(m.K2, 'v2');
  assert.equal(m.PW, 'hunter2');
  assert.equal('OPT' in m, false);
});

test('env: missing configmap, secret or key is a config error with upstream wording', async () => {
  const c = (env: any[]): any => ({ name: 'c', image: 'x', env });
  await assert.rejects(makeEnvironment(pod, c([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }]), lookups), (e: Error) => e instanceof ContainerConfigError && e.message === 'configmap "nope" not found');
  await assert.rejects(makeEnvironment(pod, c([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'zz' } } }]), lookups), /couldn't find key zz in ConfigMap ns\/cm/);
  await assert.rejects(makeEnvironment(pod, c([{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }]), lookups), /secret "nope" not found/);
});

test('service variables: the kubernetes Service always, the namespace\'s Services with enableServiceLinks, as upstream', async () => {
  const { serviceEnvironment } = await import('../../src/kubelet/pod/service-env.js');
  const svc = (namespace: string, name: string, clusterIP: string, ports: { name?: string; port: number; protocol?: string }[]) => ({ metadata: { name, namespace }, spec: { clusterIP, ports } });
  const services = [
    svc('default', 'kubernetes', '10.0.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]),
    svc('ns', 'my-db', '10.0.0.7', [{ name: 'sql', port: 5432 }, { name: 'metrics', port: 9187, protocol: 'TCP' }]),
    svc('ns', 'headless', 'None', [{ port: 80 }]),
    svc('other', 'elsewhere', '10.0.0.9', [{ port: 80 }]),
  ];
  const env = serviceEnvironment(services, 'ns', true);
  assert.equal(env.get('KUBERNETES_SERVICE_HOST'), '10.0.0.1');
  assert.equal(env.get('KUBERNETES_SERVICE_PORT'), '443');
  assert.equal(env.get('KUBERNETES_SERVICE_PORT_HTTPS'), '443');
  assert.equal(env.get('KUBERNETES_PORT'), 'tcp://10.0.0.1:443');
  assert.equal(env.get('KUBERNETES_PORT_443_TCP'), 'tcp://10.0.0.1:443');
  assert.equal(env.get('KUBERNETES_PORT_443_TCP_PROTO'), 'tcp');
  assert.equal(env.get('KUBERNETES_PORT_443_TCP_PORT'), '443');
  assert.equal(env.get('KUBERNETES_PORT_443_TCP_ADDR'), '10.0.0.1');
  assert.equal(env.get('MY_DB_SERVICE_HOST'), '10.0.0.7');
  assert.equal(env.get('MY_DB_SERVICE_PORT'), '5432');
  assert.equal(env.get('MY_DB_SERVICE_PORT_METRICS'), '9187');
  assert.equal(env.get('MY_DB_PORT_9187_TCP_ADDR'), '10.0.0.7');
  assert.ok(![...env.keys()].some((k) => k.startsWith('HEADLESS_') || k.startsWith('ELSEWHERE_')), 'headless and other namespaces are left out');

  const noLinks = serviceEnvironment(services, 'ns', false);
  assert.equal(noLinks.get('KUBERNETES_SERVICE_HOST'), '10.0.0.1');
  assert.equal(noLinks.has('MY_DB_SERVICE_HOST'), false);

  // The container's own definitions win; service variables come after them and feed $(VAR).
  const vars = await makeEnvironment(pod, { name: 'c', image: 'x', env: [{ name: 'URL', value: 'https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)' }, { name: 'MY_DB_SERVICE_PORT', value: 'mine' }] }, { ...lookups, serviceEnv: env });
  const byName = new Map(vars.map((v) => [v.name, v.value]));
  assert.equal(byName.get('URL'), 'https://10.0.0.1:443');
  assert.equal(byName.get('MY_DB_SERVICE_PORT'), 'mine');
  assert.equal(vars.filter((v) => v.name === 'MY_DB_SERVICE_PORT').length, 1);
  assert.equal(vars[0]!.name, 'URL');
});
