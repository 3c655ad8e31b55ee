import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { admissionChain, type AdmissionAttributes } from '../../src/auth/admission/index.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import type { KubeObject } from '../../src/api/types.js';
import type { UserInfo } from '../../src/auth/user.js';
import { fakeRegistry } from './fake-registry.js';
import { refused } from './refused.js';

const registry = fakeRegistry();
const chain = admissionChain(registry);
const admin: UserInfo = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
const nodeA: UserInfo = { username: 'system:node:a', groups: ['system:nodes', 'system:authenticated'] };
const store = (r: string, g = '') => registry.fake(resourceFor(g, g ? (g === 'apps' ? 'v1' : 'v1') : 'v1', r)!);

function attrs(operation: AdmissionAttributes['operation'], resource: string, namespace: string | undefined, name: string, extra: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
  return { operation, group: '', version: 'v1', resource, kind: '', namespace, name, user: admin, ...extra };
}

function pod(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec } };
}

/** Runs both phases as the API server will: mutate, then validate. */
async function admit(a: AdmissionAttributes, obj: KubeObject | undefined, old?: KubeObject): Promise<string[]> {
  await chain.mutate(a, obj, old);
  return chain.validate(a, obj, old);
}


before(async () => {
  const ns = store('namespaces');
  for (const name of ['team', 'strict', 'quota', 'limits', 'warned']) await ns.create(undefined, { metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } });
  await ns.update(undefined, 'strict', (o) => ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/warn': 'restricted' } } }));
  await ns.update(undefined, 'warned', (o) => ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, 'pod-security.kubernetes.io/warn': 'restricted', 'pod-security.kubernetes.io/warn-version': 'v1.32' } } }));
  const sas = store('serviceaccounts');
  for (const ns of ['team', 'strict', 'quota', 'limits', 'warned']) await sas.create(ns, { metadata: { name: 'default' } });
  await sas.create('team', { metadata: { name: 'puller' }, imagePullSecrets: [{ name: 'regcred' }] });
  await sas.create('team', { metadata: { name: 'quiet' }, automountServiceAccountToken: false });
});

test('ServiceAccount: default account, projected kube-api-access volume mounted everywhere', async () => {
  const p = pod('web', { initContainers: [{ name: 'init', image: 'busybox' }] });
  await admit(attrs('CREATE', 'pods', 'team', 'web'), p);
  const spec = p.spec as any;
  assert.equal(spec.serviceAccountName, 'default');
  const vol = spec.volumes[0];
  assert.match(vol.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.deepEqual(vol.projected, {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  });
  for (const c of [...spec.initContainers, ...spec.containers]) {
    assert.deepEqual(c.volumeMounts, [{ name: vol.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
  }
});

test('ServiceAccount: pull secrets inherited, automount off respected, missing account refused', async () => {
  const p = pod('a', { serviceAccountName: 'puller' });
  await admit(attrs('CREATE', 'pods', 'team', 'a'), p);
  assert.deepEqual((p.spec as any).imagePullSecrets, [{ name: 'regcred' }]);
  const q = pod('b', { serviceAccountName: 'quiet' });
  await admit(attrs('CREATE', 'pods', 'team', 'b'), q);
  assert.equal((q.spec as any).volumes, undefined);
  await refused(admit(attrs('CREATE', 'pods', 'team', 'c'), pod('c', { serviceAccountName: 'ghost' })), 'pods "c" is forbidden: error looking up service account team/ghost: serviceaccount "ghost" not found');
});

test('DefaultTolerationSeconds adds the two 300 s NoExecute tolerations unless present', async () => {
  const p = pod('t');
  await admit(attrs('CREATE', 'pods', 'team', 't'), p);
  assert.deepEqual((p.spec as any).tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
  const own = pod('u', { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }] });
  await admit(attrs('CREATE', 'pods', 'team', 'u'), own);
  assert.deepEqual((own.spec as any).tolerations.map((t: any) => `${t.key}=${t.tolerationSeconds}`), ['node.kubernetes.io/unreachable=10', 'node.kubernetes.io/not-ready=300']);
});

test('NodeRestriction: a kubelet changes only its own Node and pods', async () => {
  const asNode = (op: AdmissionAttributes['operation'], resource: string, ns: string | undefined, name: string, extra: Partial<AdmissionAttributes> = {}) => attrs(op, resource, ns, name, { user: nodeA, ...extra });
  const nodeB = { metadata: { name: 'b' }, spec: {} };
  await refused(admit(asNode('UPDATE', 'nodes', undefined, 'b', { subresource: 'status' }), nodeB, nodeB), 'nodes "b" is forbidden: node "a" is not allowed to modify node "b"');
  await refused(admit(asNode('DELETE', 'nodes', undefined, 'b'), undefined, nodeB), 'nodes "b" is forbidden: node "a" is not allowed to modify node "b"');
  await admit(asNode('UPDATE', 'nodes', undefined, 'a', { subresource: 'status' }), { metadata: { name: 'a' } }, { metadata: { name: 'a' } });
  await refused(
    admit(asNode('CREATE', 'nodes', undefined, 'a'), { metadata: { name: 'a', labels: { 'node-restriction.kubernetes.io/secure': 'yes', 'kubernetes.io/hostname': 'a' } } }),
    'nodes "a" is forbidden: node "a" is not allowed to set the following labels: node-restriction.kubernetes.io/secure',
  );
  await refused(admit(asNode('CREATE', 'pods', 'team', 'x'), pod('x', { nodeName: 'a' })), 'pods "x" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "a" can only create mirror pods');
  const mirror = { ...pod('m', { nodeName: 'b' }), metadata: { name: 'm', annotations: { 'kubernetes.io/config.mirror': 'x' } } };
  await refused(admit(asNode('CREATE', 'pods', 'team', 'm'), mirror), 'pods "m" is forbidden: node "a" can only create pods with spec.nodeName set to itself');
  const onB = await store('pods').create('team', pod('on-b', { nodeName: 'b' }));
  await refused(admit(asNode('UPDATE', 'pods', 'team', 'on-b', { subresource: 'status' }), onB, onB), 'pods "on-b" is forbidden: node "a" can only update pod status for pods with spec.nodeName set to itself');
  await refused(admit(asNode('DELETE', 'pods', 'team', 'on-b'), undefined, onB), 'pods "on-b" is forbidden: node "a" can only delete pods with spec.nodeName set to itself');
});

test('LimitRanger: defaults with the upstream annotation, then min/max', async () => {
  await store('limitranges').create('limits', {
    metadata: { name: 'lr' },
    spec: { limits: [{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m' }, min: { cpu: '50m' }, max: { cpu: '1' } }] },
  });
  const p = pod('d');
  await admit(attrs('CREATE', 'pods', 'limits', 'd'), p);
  assert.deepEqual((p.spec as any).containers[0].resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m' } });
  assert.equal(p.metadata.annotations?.['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu request for container app; cpu, memory limit for container app');
  await refused(
    admit(attrs('CREATE', 'pods', 'limits', 'big'), pod('big', { containers: [{ name: 'app', image: 'x', resources: { limits: { cpu: '2' }, requests: { cpu: '10m' } } }] })),
    'pods "big" is forbidden: [minimum cpu usage per Container is 50m, but request is 10m, maximum cpu usage per Container is 1, but limit is 2]',
  );
});

test('ResourceQuota: charges status.used and refuses the create that would exceed it', async () => {
  const quotas = store('resourcequotas');
  await quotas.create('quota', { metadata: { name: 'compute' }, spec: { hard: { pods: '2', 'requests.cpu': '1' } } });
  const sized = (name: string, cpu: string) => pod(name, { containers: [{ name: 'app', image: 'x', resources: { requests: { cpu } } }] });
  for (const name of ['q1', 'q2']) {
    const p = sized(name, '300m');
    await admit(attrs('CREATE', 'pods', 'quota', name), p);
    await store('pods').create('quota', p);
  }
  const q = await quotas.get('quota', 'compute');
  assert.deepEqual(q.status, { hard: { pods: '2', 'requests.cpu': '1' }, used: { pods: '2', 'requests.cpu': '600m' } });
  await refused(admit(attrs('CREATE', 'pods', 'quota', 'q3'), sized('q3', '300m')), 'pods "q3" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2');
  await refused(admit(attrs('CREATE', 'pods', 'quota', 'q4'), pod('q4')), 'pods "q4" is forbidden: failed quota: compute: must specify requests.cpu for: app');
});

test('PodSecurity: enforce refuses with upstream text, warn and workloads produce warnings', async () => {
  const bad = pod('priv', { hostNetwork: true, containers: [{ name: 'app', image: 'x', securityContext: { privileged: true } }] });
  await refused(
    admit(attrs('CREATE', 'pods', 'strict', 'priv'), bad),
    'pods "priv" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), privileged (container "app" must not set securityContext.privileged=true)',
  );
  const plain = pod('plain');
  const w = await admit(attrs('CREATE', 'pods', 'strict', 'plain'), plain);
  assert.deepEqual(w, [
    'would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  ]);
  const good = pod('good', {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{ name: 'app', image: 'x', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
  });
  assert.deepEqual(await admit(attrs('CREATE', 'pods', 'strict', 'good'), good), []);
  const deploy: KubeObject = { metadata: { name: 'd' }, spec: { template: { metadata: {}, spec: { containers: [{ name: 'app', image: 'x', securityContext: { runAsUser: 0 } }] } } } };
  const dw = await admit(attrs('CREATE', 'deployments', 'warned', 'd', { group: 'apps' }), deploy);
  assert.equal(dw.length, 1);
  assert.match(dw[0]!, /^would violate PodSecurity "restricted:v1\.32": allowPrivilegeEscalation != false .*runAsUser=0 \(container "app" must not set runAsUser=0\), seccompProfile/);
});
