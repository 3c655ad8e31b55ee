import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestClient } from '../../src/client/rest.js';
import { InformerFactory } from '../../src/client/informer-factory.js';
import { EventRecorder } from '../../src/client/events/recorder.js';
import { defaultControllerManagerOptions } from '../../src/controllers/options.js';
import { deploymentController } from '../../src/controllers/deployment/controller.js';
import { replicaSetController } from '../../src/controllers/replicaset/controller.js';
import { horizontalPodAutoscalerController } from '../../src/controllers/podautoscaler/controller.js';
import type { ControllerContext, RunningController } from '../../src/controllers/types.js';
import { dockerSkip } from '../helpers/images.js';
import type { TestServer } from '../helpers/apiserver.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { eventually } from '../kubelet/harness.js';
import { startDockerNode, type DockerNode } from '../helpers/docker-node.js';

// The HPA test: a CPU-burning Deployment on Docker under an HPA at
// 50 % (made with `kubectl autoscale`) scales up while the load lasts and
// back down once it stops, but not before the scale-down stabilization
// window. Periods are shortened by the controller's upstream flags.

const skip = await dockerSkip();
const SYNC = '2s';
const STABILIZATION_S = 12;

describe('HorizontalPodAutoscaler on Docker', { skip, timeout: 900_000 }, () => {
  let node: DockerNode;
  let server: TestServer;
  let client: RestClient;
  let loadDir: string;
  let busybox: string;
  let nodeName: string;
  let informers: InformerFactory;
  const recorders: EventRecorder[] = [];
  const running: RunningController[] = [];
  const k = (args: string[], input?: string): Promise<string> => kubectlOk(server.kubeconfig, args, { input });

  before(async () => {
    node = await startDockerNode({ name: 'hpa', server: { metricResolutionMs: 2000 } });
    ({ server, client, busybox, nodeName } = node);
    loadDir = await mkdtemp(join(tmpdir(), 'k8ts-hpa-load-'));
    informers = new InformerFactory(client);
    const options = defaultControllerManagerOptions();
    options.extra['horizontal-pod-autoscaler-sync-period'] = SYNC;
    options.extra['horizontal-pod-autoscaler-downscale-stabilization'] = `${STABILIZATION_S}s`;
    const ctx: ControllerContext = {
      client,
      informers,
      recorder(component) {
        const r = new EventRecorder(client, { component, retryDelayMs: 200, maxTries: 3 });
        recorders.push(r);
        return r;
      },
      options,
    };
    for (const c of [replicaSetController, deploymentController, horizontalPodAutoscalerController]) running.push(await c.start(ctx));
    informers.start();
  });

  after(async () => {
    for (const r of running) await r.stop();
    await informers?.stop();
    for (const r of recorders) await r.shutdown();
    await node?.stop();
    if (loadDir) await rm(loadDir, { recursive: true, force: true });
  });

  test('scales up under load and back down after the stabilization window', async () => {
    const on = join(loadDir, 'on');
    await writeFile(on, '1');
    // Each pod burns CPU while the load switch (a file on a hostPath volume) exists, then idles.
    await k(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'burn', namespace: 'default' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'burn' } },
        template: {
          metadata: { labels: { app: 'burn' } },
          spec: {
            nodeName,
            terminationGracePeriodSeconds: 0,
            volumes: [{ name: 'load', hostPath: { path: loadDir, type: 'Directory' } }],
            containers: [{
              name: 'burn',
              image: busybox,
              imagePullPolicy: 'Never',
              command: ['sh', '-c', 'while :; do if [ -f /load/on ]; then i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; else sleep 1; fi; done'],
              volumeMounts: [{ name: 'load', mountPath: '/load' }],
              resources: { requests: { cpu: '50m' }, limits: { cpu: '100m' } },
            }],
          },
        },
      },
    }));
    await k(['autoscale', 'deployment', 'burn', '--cpu-percent=50', '--min=1', '--max=3']);
    const table = await k(['get', 'hpa', 'burn']);
    assert.match(table.split('\n')[0]!, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE/);
    assert.match(table, /burn\s+Deployment\/burn\s+cpu: (<unknown>|\d+%)\/50%\s+1\s+3\s+\d+/);

    const getHpa = async (): Promise<any> => JSON.parse(await k(['get', 'hpa', 'burn', '-o', 'json']));
    const up = await eventually(async () => {
      const h = await getHpa();
      return h.status?.desiredReplicas === 3 && h.status?.currentReplicas >= 2 ? h : undefined;
    }, 'scaled up to 3', 500);
    const cond = (h: any, t: string): any => h.status.conditions.find((c: any) => c.type === t);
    assert.equal(cond(up, 'ScalingActive').reason, 'ValidMetricFound');
    assert.equal(cond(up, 'ScalingActive').message, 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)');
    assert.equal(cond(up, 'AbleToScale').status, 'True');
    assert.ok(up.status.lastScaleTime);
    const cpu = up.status.currentMetrics.find((m: any) => m.type === 'Resource');
    assert.equal(cpu.resource.name, 'cpu');
    assert.ok(cpu.resource.current.averageUtilization > 50, `utilization ${cpu.resource.current.averageUtilization}% is above target`);
    const events = await k(['get', 'events', '--field-selector', 'involvedObject.name=burn,involvedObject.kind=HorizontalPodAutoscaler', '-o', 'json']);
    const rescales = JSON.parse(events).items.filter((e: any) => e.reason === 'SuccessfulRescale').map((e: any) => e.message);
    assert.ok(rescales.some((m: string) => /^New size: [23]; reason: cpu resource utilization \(percentage of request\) above target$/.test(m)), rescales.join(' | '));
    await eventually(async () => JSON.parse(await k(['get', 'deploy', 'burn', '-o', 'json'])).status?.readyReplicas === 3, 'three burners ready', 500);
    assert.match(await k(['get', 'hpa', 'burn']), /burn\s+Deployment\/burn\s+cpu: \d+%\/50%\s+1\s+3\s+3\s+/);

    // Load off: utilization drops at once, but the HPA waits out the stabilization window before shrinking.
    await unlink(on);
    const stoppedAt = Date.now();
    const down = await eventually(async () => {
      const h = await getHpa();
      return h.status?.desiredReplicas === 1 ? h : undefined;
    }, 'scaled down to 1', 500);
    const waited = (Date.parse(down.status.lastScaleTime) - stoppedAt) / 1000;
    assert.ok(waited >= STABILIZATION_S - 1, `scale-down after ${waited.toFixed(1)} s, not before the ${STABILIZATION_S} s window`);
    const ev2 = JSON.parse(await k(['get', 'events', '--field-selector', 'involvedObject.name=burn,involvedObject.kind=HorizontalPodAutoscaler', '-o', 'json'])).items.map((e: any) => e.message);
    assert.ok(ev2.includes('New size: 1; reason: All metrics below target'), ev2.join(' | '));
    await eventually(async () => JSON.parse(await k(['get', 'deploy', 'burn', '-o', 'json'])).spec.replicas === 1, 'deployment at 1', 500);
  });
});
