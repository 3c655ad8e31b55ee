import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { kubectlOk } from '../helpers/kubectl.js';
import { startEnv, eventually, eventsFor, pod, PODS, type Env } from './harness.js';

let env: Env;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env.close();
});

const getPod = (name: string): Promise<any> => env.client.get<any>(PODS, 'default', name);

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

test('a pod bound to the node runs; kubectl get and describe show upstream status and events', async () => {
  await env.client.create(PODS, 'default', pod('web', { containers: [{ name: 'nginx', image: 'nginx:1.27', env: [{ name: 'A', value: 'x' }], ports: [{ containerPort: 80 }] }, { name: 'side', image: 'busybox:1.36', command: ['sleep', '3600'] }] }));
  const p = await eventually(async () => {
    const x = await getPod('web');
    return x.status?.phase === 'Running' && x.status.containerStatuses?.every((c: any) => c.ready) ? x : undefined;
  });
  assert.match(p.status.podIP, /^10\.244\./);
  assert.equal(p.status.hostIP, '127.0.0.1');
  assert.ok(p.status.startTime);
  for (const cs of p.status.containerStatuses) {
    assert.match(cs.containerID, /^fake:\/\/[0-9a-f]+$/);
    assert.match(cs.imageID, /^sha256:/);
    assert.equal(cs.restartCount, 0);
    assert.equal(cs.started, true);
  }
  const get = await kubectlOk(env.server.kubeconfig, ['get', 'pods', '-o', 'wide']);
  assert.match(get, /web\s+2\/2\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+node-1/);
  const evs = await eventually(async () => {
    const e = await eventsFor(env.client, 'web');
    return e.filter((x) => x.reason === 'Started').length === 2 ? e : undefined;
  });
  const msgs = evs.map((e) => `${e.reason}: ${e.message}`);
  assert.ok(msgs.includes('Pulled: Container image "nginx:1.27" already present on machine') || msgs.some((m) => m.startsWith('Pulled: Successfully pulled image "nginx:1.27" in ')), msgs.join('\n'));
  assert.ok(msgs.includes('Pulling: Pulling image "nginx:1.27"'));
  assert.ok(msgs.includes('Created: Created container: nginx'));
  assert.ok(msgs.includes('Started: Started container nginx'));
  assert.equal(evs.find((e) => e.reason === 'Started').involvedObject.fieldPath !== undefined, true);
  const desc = await kubectlOk(env.server.kubeconfig, ['describe', 'pod', 'web']);
  assert.match(desc, /Status:\s+Running/);
  assert.match(desc, /Node:\s+node-1\/127\.0\.0\.1/);
  assert.match(desc, /Container ID:\s+fake:\/\//);
  assert.match(desc, /State:\s+Running/);
  assert.match(desc, /Ready\s+True/);
  assert.match(desc, /PodReadyToStartContainers\s+True/);
  assert.match(desc, /Normal\s+Started\s+.*kubelet\s+Started container nginx/);

  // Logs through the kubelet server, as the API server's pods/log proxy will ask for them.
  const logs = await httpGet(env.kubelet.port, '/containerLogs/default/web/nginx?timestamps=true');
  assert.equal(logs.status, 200);
  assert.match(logs.body, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z fake container nginx started/);
  assert.equal((await httpGet(env.kubelet.port, '/healthz')).body, 'ok');
  const prev = await httpGet(env.kubelet.port, '/containerLogs/default/web/nginx?previous=true');
  assert.equal(prev.status, 400);
  assert.equal(prev.body, 'previous terminated container "nginx" in pod "web" not found');
});

test('a crashing container reaches CrashLoopBackOff with growing back-off and BackOff events', async () => {
  await env.client.create(PODS, 'default', pod('crash', { containers: [{ name: 'app', image: 'busybox:1.36', command: ['false'] }] }));
  const messages = new Set<string>();
  const p = await eventually(async () => {
    const x = await getPod('crash');
    const cs = x.status?.containerStatuses?.[0];
    if (cs?.state?.waiting?.reason === 'CrashLoopBackOff') messages.add(cs.state.waiting.message);
    return cs?.restartCount >= 3 && cs.state?.waiting?.reason === 'CrashLoopBackOff' ? x : undefined;
  }, 'crashloop', 20);
  const cs = p.status.containerStatuses[0];
  assert.equal(cs.lastState.terminated.exitCode, 1);
  assert.equal(cs.lastState.terminated.reason, 'Error');
  assert.equal(p.status.phase, 'Running');
  const uid = p.metadata.uid;
  assert.ok([...messages].some((m) => m === `back-off 200ms restarting failed container=app pod=crash_default(${uid})`), [...messages].join('\n'));
  assert.ok([...messages].some((m) => /^back-off (400ms|800ms|1\.6s) restarting failed container=app/.test(m)), [...messages].join('\n'));
  const evs = await eventually(async () => {
    const e = await eventsFor(env.client, 'crash');
    return e.some((x) => x.reason === 'BackOff') ? e : undefined;
  });
  const backoff = evs.find((e) => e.reason === 'BackOff');
  assert.equal(backoff.type, 'Warning');
  assert.equal(backoff.message, `Back-off restarting failed container app in pod crash_default(${uid})`);
  const get = await kubectlOk(env.server.kubeconfig, ['get', 'pod', 'crash']);
  assert.match(get, /crash\s+0\/1\s+(CrashLoopBackOff|Error|Completed)\s+\d+/);
  await env.client.delete(PODS, 'default', 'crash', { gracePeriodSeconds: 0 });
});

test('restartPolicy Never: a failing container leaves the pod Failed; OnFailure success ends Succeeded', async () => {
  await env.client.create(PODS, 'default', pod('never', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36', command: ['sh', '-c', 'exit 3'] }] }));
  await env.client.create(PODS, 'default', pod('job', { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox:1.36', command: ['true'] }] }));
  const failed = await eventually(async () => ((await getPod('never')).status?.phase === 'Failed' ? getPod('never') : undefined));
  assert.equal(failed.status.containerStatuses[0].state.terminated.exitCode, 3);
  const ok = await eventually(async () => ((await getPod('job')).status?.phase === 'Succeeded' ? getPod('job') : undefined));
  assert.equal(ok.status.containerStatuses[0].state.terminated.reason, 'Completed');
  assert.equal(ok.status.conditions.find((c: any) => c.type === 'Ready').reason, 'PodCompleted');
});

test('sandbox death: SandboxChanged, every container restarted in a new sandbox', async () => {
  await env.client.create(PODS, 'default', pod('sb', { containers: [{ name: 'a', image: 'nginx:1.27' }, { name: 'b', image: 'nginx:1.27' }] }));
  const before = await eventually(async () => {
    const x = await getPod('sb');
    return x.status?.containerStatuses?.every((c: any) => c.ready) ? x : undefined;
  });
  const [sandbox] = await env.runtime.listPodSandboxes({ labelSelector: { 'io.kubernetes.pod.uid': before.metadata.uid } });
  env.runtime.killSandbox(sandbox!.id);
  const after = await eventually(async () => {
    const x = await getPod('sb');
    return x.status?.containerStatuses?.every((c: any) => c.ready && c.restartCount === 1) ? x : undefined;
  });
  for (const [i, cs] of after.status.containerStatuses.entries()) assert.notEqual(cs.containerID, before.status.containerStatuses[i].containerID);
  const evs = await eventually(async () => {
    const e = await eventsFor(env.client, 'sb');
    return e.some((x) => x.reason === 'SandboxChanged') ? e : undefined;
  });
  assert.equal(evs.find((e) => e.reason === 'SandboxChanged').message, 'Pod sandbox changed, it will be killed and re-created.');
  const sbs = await env.runtime.listPodSandboxes({ labelSelector: { 'io.kubernetes.pod.uid': before.metadata.uid } });
  assert.equal(sbs.filter((s) => s.state === 'SANDBOX_READY').length, 1);
});

test('a killed container is restarted with restartCount and lastState', async () => {
  await env.client.create(PODS, 'default', pod('kill', { containers: [{ name: 'a', image: 'nginx:1.27' }] }));
  const p = await eventually(async () => {
    const x = await getPod('kill');
    return x.status?.containerStatuses?.[0]?.ready ? x : undefined;
  });
  env.runtime.killContainer(p.status.containerStatuses[0].containerID.slice('fake://'.length));
  const after = await eventually(async () => {
    const x = await getPod('kill');
    return x.status?.containerStatuses?.[0]?.restartCount === 1 && x.status.containerStatuses[0].ready ? x : undefined;
  });
  assert.equal(after.status.containerStatuses[0].lastState.terminated.exitCode, 137);
  const logs = await httpGet(env.kubelet.port, '/containerLogs/default/kill/a?previous=true');
  assert.match(logs.body, /exited with code 137/);
});

test('deletion is graceful: Killing events, runtime cleaned, pod removed from the API', async () => {
  await env.client.create(PODS, 'default', pod('del', { containers: [{ name: 'a', image: 'nginx:1.27' }] }));
  const p = await eventually(async () => {
    const x = await getPod('del');
    return x.status?.containerStatuses?.[0]?.ready ? x : undefined;
  });
  await kubectlOk(env.server.kubeconfig, ['delete', 'pod', 'del', '--wait=true']);
  await assert.rejects(getPod('del'), /not found/);
  const evs = await eventually(async () => {
    const e = await eventsFor(env.client, 'del');
    return e.some((x) => x.reason === 'Killing') ? e : undefined;
  });
  assert.equal(evs.find((e) => e.reason === 'Killing').message, 'Stopping container a');
  assert.deepEqual(await env.runtime.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': p.metadata.uid } }), []);
  assert.deepEqual(await env.runtime.listPodSandboxes({ labelSelector: { 'io.kubernetes.pod.uid': p.metadata.uid } }), []);
});

test('missing image: ErrImagePull then ImagePullBackOff, with upstream events', async () => {
  await env.client.create(PODS, 'default', pod('noimg', { containers: [{ name: 'a', image: 'example.com/doesnotexist:1' }] }));
  const seen = new Set<string>();
  await eventually(async () => {
    const x = await getPod('noimg');
    const r = x.status?.containerStatuses?.[0]?.state?.waiting?.reason;
    if (r) seen.add(r);
    return seen.has('ErrImagePull') && seen.has('ImagePullBackOff');
  }, 'image pull', 20);
  const evs = await eventually(async () => {
    const e = await eventsFor(env.client, 'noimg');
    return e.some((x) => x.message === 'Error: ImagePullBackOff') ? e : undefined;
  });
  const msgs = evs.map((e) => `${e.type} ${e.reason} ${e.message}`);
  assert.ok(msgs.includes('Normal Pulling Pulling image "example.com/doesnotexist:1"'));
  assert.ok(msgs.some((m) => m.startsWith('Warning Failed Failed to pull image "example.com/doesnotexist:1": ')));
  assert.ok(msgs.includes('Warning Failed Error: ErrImagePull'));
  assert.ok(msgs.includes('Normal BackOff Back-off pulling image "example.com/doesnotexist:1"'));
  const desc = await kubectlOk(env.server.kubeconfig, ['describe', 'pod', 'noimg']);
  assert.match(desc, /Reason:\s+(ErrImagePull|ImagePullBackOff)/);
});

test('a missing configMap volume: FailedMount events, pod waits in ContainerCreating, starts once it exists', async () => {
  await env.client.create(PODS, 'default', pod('mnt', { containers: [{ name: 'a', image: 'nginx:1.27', volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] }], volumes: [{ name: 'cfg', configMap: { name: 'later' } }] }));
  const evs = await eventually(async () => {
    const e = await eventsFor(env.client, 'mnt');
    return e.some((x) => x.reason === 'FailedMount') ? e : undefined;
  });
  assert.equal(evs.find((e) => e.reason === 'FailedMount').message, 'MountVolume.SetUp failed for volume "cfg" : configmap "later" not found');
  const waiting = await getPod('mnt');
  assert.equal(waiting.status.containerStatuses?.[0]?.state?.waiting?.reason ?? 'ContainerCreating', 'ContainerCreating');
  await env.client.create({ group: '', version: 'v1', resource: 'configmaps', namespaced: true }, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later' }, data: { a: 'b' } } as any);
  await eventually(async () => (await getPod('mnt')).status?.containerStatuses?.[0]?.ready);
});

test('a missing configMap env reference: CreateContainerConfigError', async () => {
  await env.client.create(PODS, 'default', pod('cfgerr', { containers: [{ name: 'a', image: 'nginx:1.27', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'absent', key: 'k' } } }] }] }));
  const x = await eventually(async () => {
    const p = await getPod('cfgerr');
    return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError' ? p : undefined;
  });
  assert.equal(x.status.containerStatuses[0].state.waiting.message, 'configmap "absent" not found');
});

test('liveness probe failure: Unhealthy events and a restart', async () => {
  await env.client.create(PODS, 'default', pod('live', { containers: [{ name: 'a', image: 'nginx:1.27', livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 1 } }] }));
  await eventually(async () => (await getPod('live')).status?.containerStatuses?.[0]?.restartCount >= 1, 'liveness', 100);
  // Events are written asynchronously by the recorder: wait for them rather than race them.
  let msgs: string[] = [];
  await eventually(async () => {
    msgs = (await eventsFor(env.client, 'live')).map((e) => `${e.reason} ${e.message}`);
    return msgs.some((m) => m.startsWith('Unhealthy Liveness probe failed:')) && msgs.includes('Killing Container a failed liveness probe, will be restarted');
  }, 'liveness events', 100);
  assert.ok(msgs.some((m) => m.startsWith('Unhealthy Liveness probe failed:')), msgs.join('\n'));
  assert.ok(msgs.includes('Killing Container a failed liveness probe, will be restarted'), msgs.join('\n'));
});
