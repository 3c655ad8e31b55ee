import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hpaFromV1, hpaToV1, METRIC_SPECS_ANNOTATION, CONDITIONS_ANNOTATION, BEHAVIOR_ANNOTATION, METRIC_STATUSES_ANNOTATION } from '../../src/api/conversion/hpa.js';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import * as k8s from '@kubernetes/client-node';

// HorizontalPodAutoscaler in both served versions over one storage, with
// upstream's defaults, validation messages and table, driven by the real
// kubectl; and metrics.k8s.io in discovery.

const v2 = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'default', annotations: { keep: 'me' } },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    minReplicas: 2,
    maxReplicas: 10,
    metrics: [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '200Mi' } } },
    ],
    behavior: { scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 30 }] } },
  },
  status: {
    currentReplicas: 3,
    desiredReplicas: 4,
    currentMetrics: [
      { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 75, averageValue: '75m' } } },
      { type: 'Resource', resource: { name: 'memory', current: { averageValue: '150Mi' } } },
    ],
    conditions: [{ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size', lastTransitionTime: '2026-01-01T00:00:00Z' }],
  },
};

test('v2 → v1 → v2 loses nothing: what v1 cannot say travels in upstream\'s annotations', () => {
  const v1 = hpaToV1(structuredClone(v2) as any) as any;
  assert.equal(v1.apiVersion, 'autoscaling/v1');
  assert.equal(v1.spec.targetCPUUtilizationPercentage, 60);
  assert.equal(v1.status.currentCPUUtilizationPercentage, 75);
  assert.deepEqual(JSON.parse(v1.metadata.annotations[METRIC_SPECS_ANNOTATION]), [{ type: 'Resource', resource: { name: 'memory', targetAverageValue: '200Mi' } }]);
  assert.deepEqual(JSON.parse(v1.metadata.annotations[METRIC_STATUSES_ANNOTATION])[1], { type: 'Resource', resource: { name: 'memory', currentAverageValue: '150Mi' } });
  assert.equal(JSON.parse(v1.metadata.annotations[CONDITIONS_ANNOTATION])[0].reason, 'ReadyForNewScale');
  assert.equal(JSON.parse(v1.metadata.annotations[BEHAVIOR_ANNOTATION]).scaleDown.stabilizationWindowSeconds, 60);
  assert.equal(v1.metadata.annotations.keep, 'me');
  const back = hpaFromV1(v1) as any;
  assert.deepEqual(back.spec, v2.spec);
  assert.deepEqual(back.status, v2.status);
  assert.deepEqual(back.metadata.annotations, { keep: 'me' });
});

test('a v1 object without a target gets the 80 % CPU default in v2', () => {
  const back = hpaFromV1({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'x' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'x' }, maxReplicas: 3 } } as any) as any;
  assert.deepEqual(back.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
});

describe('HorizontalPodAutoscaler through kubectl', () => {
  let server: TestServer;
  const k = (args: string[], input?: string): Promise<string> => kubectlOk(server.kubeconfig, args, { input });
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  test('discovery: autoscaling v2 (preferred) and v1; metrics.k8s.io nodes and pods for kubectl top', async () => {
    const versions = await k(['api-versions']);
    for (const v of ['autoscaling/v1', 'autoscaling/v2', 'metrics.k8s.io/v1beta1']) assert.match(versions, new RegExp(`^${v}$`, 'm'));
    const res = await k(['api-resources', '--api-group=metrics.k8s.io', '--no-headers']);
    assert.match(res, /^nodes\s+metrics\.k8s\.io\/v1beta1\s+false\s+NodeMetrics$/m);
    assert.match(res, /^pods\s+metrics\.k8s\.io\/v1beta1\s+true\s+PodMetrics$/m);
    const group = JSON.parse(await k(['get', '--raw', '/apis/autoscaling']));
    assert.equal(group.preferredVersion.version, 'v2');
  });

  test('created as v1, read as v2 with defaults; created as v2, read as v1 with annotations; one object', async () => {
    await k(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'old' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'old' }, maxReplicas: 4, targetCPUUtilizationPercentage: 70 } }));
    const asV2 = JSON.parse(await k(['get', 'horizontalpodautoscalers.v2.autoscaling', 'old', '-o', 'json']));
    assert.equal(asV2.apiVersion, 'autoscaling/v2');
    assert.equal(asV2.spec.minReplicas, 1);
    assert.deepEqual(asV2.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
    const { status: _s, ...noStatus } = v2;
    await k(['apply', '-f', '-'], JSON.stringify(noStatus));
    const asV1 = JSON.parse(await k(['get', 'horizontalpodautoscalers.v1.autoscaling', 'web', '-o', 'json']));
    assert.equal(asV1.apiVersion, 'autoscaling/v1');
    assert.equal(asV1.spec.targetCPUUtilizationPercentage, 60);
    assert.match(asV1.metadata.annotations[METRIC_SPECS_ANNOTATION], /"name":"memory"/);
    assert.equal(asV1.metadata.uid, JSON.parse(await k(['get', 'hpa', 'web', '-o', 'json'])).metadata.uid);
    // Behavior given without rules for scale-up gets upstream's scale-up defaults.
    const web = JSON.parse(await k(['get', 'hpa', 'web', '-o', 'json']));
    assert.deepEqual(web.spec.behavior.scaleUp, { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] });
  });

  test('kubectl get hpa columns and kubectl autoscale', async () => {
    await k(['create', 'deployment', 'front', '--image=k8ts.invalid/front:1']);
    await k(['autoscale', 'deployment', 'front', '--cpu-percent=50', '--min=1', '--max=5']);
    const out = await k(['get', 'hpa']);
    const lines = out.trim().split('\n');
    assert.match(lines[0]!, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/);
    assert.match(out, /^front\s+Deployment\/front\s+cpu: <unknown>\/50%\s+1\s+5\s+0\s+\d+s$/m);
    assert.match(out, /^web\s+Deployment\/web\s+cpu: <unknown>\/60%, memory: <unknown>\/200Mi\s+2\s+10\s+0\s+\d+s$/m);
    const front = JSON.parse(await k(['get', 'hpa', 'front', '-o', 'json']));
    assert.deepEqual(front.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]);
  });

  test('@kubernetes/client-node: AutoscalingV1Api writes, AutoscalingV2Api reads; Metrics reads metrics.k8s.io', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(server.kubeconfig);
    kc.loadFromOptions({ clusters: kc.clusters.map((c) => ({ ...c, skipTLSVerify: true })), users: kc.users, contexts: kc.contexts, currentContext: kc.currentContext });
    const v1 = kc.makeApiClient(k8s.AutoscalingV1Api);
    const v2api = kc.makeApiClient(k8s.AutoscalingV2Api);
    await v1.createNamespacedHorizontalPodAutoscaler({ namespace: 'default', body: { metadata: { name: 'cn' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'cn' }, maxReplicas: 7, targetCPUUtilizationPercentage: 40 } } });
    const got = await v2api.readNamespacedHorizontalPodAutoscaler({ name: 'cn', namespace: 'default' });
    assert.equal(got.spec?.maxReplicas, 7);
    assert.equal(got.spec?.metrics?.[0]?.resource?.target.averageUtilization, 40);
    const back = await v1.readNamespacedHorizontalPodAutoscaler({ name: 'cn', namespace: 'default' });
    assert.equal(back.spec?.targetCPUUtilizationPercentage, 40);
    const metrics = new k8s.Metrics(kc);
    const nodes = await metrics.getNodeMetrics();
    assert.equal(nodes.kind, 'NodeMetricsList');
    assert.deepEqual(nodes.items, []);
    const pods = await metrics.getPodMetrics('default');
    assert.equal(pods.kind, 'PodMetricsList');
  });

  test('bad input gets upstream\'s messages', async () => {
    const bad = (spec: Record<string, unknown>): string => JSON.stringify({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'bad' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' }, maxReplicas: 3, ...spec } });
    let r = await kubectl(server.kubeconfig, ['create', '-f', '-'], { input: bad({ minReplicas: 5, maxReplicas: 0 }) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /The HorizontalPodAutoscaler "bad" is invalid: \n\* spec\.maxReplicas: Invalid value: 0: must be greater than 0\n\* spec\.maxReplicas: Invalid value: 0: must be greater than or equal to `minReplicas`/);
    r = await kubectl(server.kubeconfig, ['create', '-f', '-'], { input: bad({ minReplicas: 0 }) });
    assert.match(r.stderr, /spec\.minReplicas: Invalid value: 0: must be greater than or equal to 1/);
    r = await kubectl(server.kubeconfig, ['create', '-f', '-'], { input: bad({ metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 0 } } }] }) });
    assert.match(r.stderr, /spec\.metrics\[0\]\.resource\.target\.averageUtilization: Invalid value: 0: must be greater than 0/);
    r = await kubectl(server.kubeconfig, ['create', '-f', '-'], { input: bad({ metrics: [{ type: 'Pods', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] }) });
    assert.match(r.stderr, /spec\.metrics\[0\]\.pods: Required value: must populate information for the given metric source/);
    r = await kubectl(server.kubeconfig, ['create', '-f', '-'], { input: bad({ metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } }, pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '1' } } }] }) });
    assert.match(r.stderr, /spec\.metrics\[0\]\.pods: Forbidden: must populate the given metric source only/);
    r = await kubectl(server.kubeconfig, ['create', '-f', '-'], { input: bad({ behavior: { scaleDown: { stabilizationWindowSeconds: 4000, policies: [{ type: 'Pods', value: 0, periodSeconds: 2000 }] } } }) });
    assert.match(r.stderr, /spec\.behavior\.scaleDown\.stabilizationWindowSeconds: Invalid value: 4000: must be less than or equal to 3600/);
    assert.match(r.stderr, /spec\.behavior\.scaleDown\.policies\[0\]\.value: Invalid value: 0: must be greater than zero/);
    assert.match(r.stderr, /spec\.behavior\.scaleDown\.policies\[0\]\.periodSeconds: Invalid value: 2000: must be less than or equal to 1800/);
    // A v1 object is checked in its v2 form.
    r = await kubectl(server.kubeconfig, ['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'bad1' }, spec: { scaleTargetRef: { kind: 'Deployment', name: '' }, maxReplicas: 2, targetCPUUtilizationPercentage: 0 } }) });
    assert.match(r.stderr, /spec\.scaleTargetRef\.name: Required value/);
    assert.match(r.stderr, /spec\.metrics\[0\]\.resource\.target\.averageUtilization: Invalid value: 0: must be greater than 0/);
    // Metrics of a pod that is not there.
    r = await kubectl(server.kubeconfig, ['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope']);
    assert.match(r.stderr, /podmetrics.metrics.k8s.io "nope" not found/);
  });
});
