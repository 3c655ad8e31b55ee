import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, imageTag } from '../../src/api/defaults/index.js';
import { resourceFor } from '../../src/api/scheme/resources.js';

function defaulted(group: string, resource: string, obj: any): any {
  applyDefaults(resourceFor(group, 'v1', resource)!, obj);
  return obj;
}

const POD_SPEC_DEFAULTS = {
  restartPolicy: 'Always',
  terminationGracePeriodSeconds: 30,
  dnsPolicy: 'ClusterFirst',
  securityContext: {},
  schedulerName: 'default-scheduler',
};

const CONTAINER_DEFAULTS = { terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' };

test('a bare pod gets every upstream default', () => {
  const pod = defaulted('', 'pods', { metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }] } });
  assert.deepEqual(pod.spec, {
    ...POD_SPEC_DEFAULTS,
    containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }], imagePullPolicy: 'Always', ...CONTAINER_DEFAULTS }],
    enableServiceLinks: true,
    priority: 0,
    preemptionPolicy: 'PreemptLowerPriority',
  });
  assert.deepEqual(pod.status, { phase: 'Pending', qosClass: 'BestEffort' });
});

test('pull policy follows the tag', () => {
  assert.equal(imageTag('nginx'), 'latest');
  assert.equal(imageTag('nginx:latest'), 'latest');
  assert.equal(imageTag('nginx:1.27'), '1.27');
  assert.equal(imageTag('registry.local:5000/team/app'), 'latest');
  assert.equal(imageTag('registry.local:5000/team/app:v2'), 'v2');
  assert.equal(imageTag('nginx@sha256:' + 'a'.repeat(64)), '');
  const pod = defaulted('', 'pods', { metadata: {}, spec: { containers: [{ name: 'a', image: 'busybox:1.36' }, { name: 'b', image: 'busybox:latest' }] } });
  assert.deepEqual(pod.spec.containers.map((c: any) => c.imagePullPolicy), ['IfNotPresent', 'Always']);
});

test('requests default from limits on pods, quantities print canonically', () => {
  const pod = defaulted('', 'pods', { metadata: {}, spec: { containers: [{ name: 'a', image: 'x:1', resources: { limits: { cpu: 0.5, memory: '1024Mi' } } }] } });
  assert.deepEqual(pod.spec.containers[0].resources, { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } });
  assert.equal(pod.status.qosClass, 'Guaranteed');
});

test('resource lists print canonically every time the same texts come, and malformed ones are left for validation', () => {
  for (let round = 0; round < 3; round++) {
    const pod = defaulted('', 'pods', { metadata: {}, spec: { containers: [{ name: 'a', image: 'x:1', resources: { limits: { cpu: '0.5', memory: '1024Mi', 'example.com/gpu': 'lots' }, requests: { cpu: '0.0001', memory: ' 1Gi' } } }] } });
    assert.deepEqual(pod.spec.containers[0].resources, { limits: { cpu: '500m', memory: '1Gi', 'example.com/gpu': 'lots' }, requests: { cpu: '1m', memory: '1Gi', 'example.com/gpu': 'lots' } }, `round ${round}`);
  }
});

test('probes, volumes and field refs get their defaults', () => {
  const pod = defaulted('', 'pods', {
    metadata: {},
    spec: {
      volumes: [{ name: 'empty' }, { name: 's', secret: { secretName: 's' } }],
      containers: [{ name: 'a', image: 'x:1', livenessProbe: { httpGet: { port: 80 } }, env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] }],
    },
  });
  assert.deepEqual(pod.spec.volumes, [{ name: 'empty', emptyDir: {} }, { name: 's', secret: { secretName: 's', defaultMode: 420 } }]);
  assert.deepEqual(pod.spec.containers[0].livenessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.equal(pod.spec.containers[0].env[0].valueFrom.fieldRef.apiVersion, 'v1');
});

test('a deployment gets its defaults, template included', () => {
  const d = defaulted('apps', 'deployments', {
    metadata: { name: 'd', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } } },
  });
  assert.equal(d.spec.replicas, 1);
  assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(d.spec.revisionHistoryLimit, 10);
  assert.equal(d.spec.progressDeadlineSeconds, 600);
  assert.deepEqual(d.spec.template.spec, { ...POD_SPEC_DEFAULTS, containers: [{ name: 'c', image: 'nginx:1', imagePullPolicy: 'IfNotPresent', ...CONTAINER_DEFAULTS }] });
  // Pod-only defaults stay off templates.
  assert.equal(d.spec.template.spec.enableServiceLinks, undefined);
});

test('other workloads', () => {
  const tpl = () => ({ metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } });
  const ds = defaulted('apps', 'daemonsets', { metadata: {}, spec: { template: tpl() } });
  assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(ds.spec.revisionHistoryLimit, 10);
  const sts = defaulted('apps', 'statefulsets', { metadata: {}, spec: { template: tpl() } });
  assert.equal(sts.spec.podManagementPolicy, 'OrderedReady');
  assert.deepEqual(sts.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  assert.equal(sts.spec.replicas, 1);
  const rs = defaulted('apps', 'replicasets', { metadata: {}, spec: { template: tpl() } });
  assert.equal(rs.spec.replicas, 1);
  const job = defaulted('batch', 'jobs', { metadata: { name: 'j' }, spec: { template: tpl() } });
  assert.deepEqual(
    [job.spec.completions, job.spec.parallelism, job.spec.backoffLimit, job.spec.completionMode, job.spec.suspend, job.spec.podReplacementPolicy],
    [1, 1, 6, 'NonIndexed', false, 'TerminatingOrFailed'],
  );
  const cj = defaulted('batch', 'cronjobs', { metadata: {}, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: tpl() } } } });
  assert.deepEqual([cj.spec.concurrencyPolicy, cj.spec.suspend, cj.spec.successfulJobsHistoryLimit, cj.spec.failedJobsHistoryLimit], ['Allow', false, 3, 1]);
  assert.equal(cj.spec.jobTemplate.spec.template.spec.dnsPolicy, 'ClusterFirst');
});

test('service defaults', () => {
  const s = defaulted('', 'services', { metadata: {}, spec: { ports: [{ port: 80 }] } });
  assert.deepEqual(s.spec, {
    ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    sessionAffinity: 'None',
    type: 'ClusterIP',
    internalTrafficPolicy: 'Cluster',
    ipFamilyPolicy: 'SingleStack',
    ipFamilies: ['IPv4'],
  });
  const lb = defaulted('', 'services', { metadata: {}, spec: { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 'http' }] } });
  assert.equal(lb.spec.externalTrafficPolicy, 'Cluster');
  assert.equal(lb.spec.allocateLoadBalancerNodePorts, true);
  assert.equal(lb.spec.ports[0].targetPort, 'http');
});

test('namespace, secret, pv, pvc, node defaults', () => {
  const ns = defaulted('', 'namespaces', { metadata: { name: 'team' } });
  assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(ns.status, { phase: 'Active' });
  assert.equal(ns.metadata.labels['kubernetes.io/metadata.name'], 'team');
  assert.equal(defaulted('', 'secrets', { metadata: {} }).type, 'Opaque');
  const pv = defaulted('', 'persistentvolumes', { metadata: {}, spec: { capacity: { storage: '1024Mi' } } });
  assert.deepEqual([pv.spec.persistentVolumeReclaimPolicy, pv.spec.volumeMode, pv.status.phase, pv.spec.capacity.storage], ['Retain', 'Filesystem', 'Pending', '1Gi']);
  const pvc = defaulted('', 'persistentvolumeclaims', { metadata: {}, spec: {} });
  assert.deepEqual([pvc.spec.volumeMode, pvc.status.phase], ['Filesystem', 'Pending']);
  const node = defaulted('', 'nodes', { metadata: {}, status: { capacity: { cpu: '4', memory: '8Gi' } } });
  assert.deepEqual(node.status.allocatable, { cpu: '4', memory: '8Gi' });
});
