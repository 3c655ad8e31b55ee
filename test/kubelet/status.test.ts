import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerStatus as RtStatus, PodSandboxStatus } from '../../src/runtime/interface.js';
import type { Pod } from '../../src/kubelet/api-types.js';
import { generatePodStatus, type StatusInputs } from '../../src/kubelet/pod/status.js';
import { computePodActions } from '../../src/kubelet/pod/actions.js';
import type { PodRuntimeState } from '../../src/kubelet/pod/runtime-state.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');

function mkPod(spec: Partial<Pod['spec']> = {}): Pod {
  return { metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { containers: [{ name: 'a', image: 'img' }], ...spec } } as Pod;
}

function sandbox(state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY' = 'SANDBOX_READY', attempt = 0): PodSandboxStatus {
  return { id: `sb${attempt}`, metadata: { name: 'p', namespace: 'default', uid: 'u1', attempt }, state, createdAt: T0, labels: {}, annotations: {}, ips: state === 'SANDBOX_READY' ? ['10.0.0.9'] : [], hostNetwork: false };
}

function ctr(name: string, state: RtStatus['state'], attempt = 0, exitCode = 0, reason = ''): RtStatus {
  return {
    id: `${name}-${attempt}`,
    podSandboxId: 'sb0',
    metadata: { name, attempt },
    image: 'docker.io/library/img:latest',
    imageRef: 'sha256:1',
    state,
    createdAt: T0 + attempt,
    labels: {},
    annotations: {},
    startedAt: T0 + 1000,
    finishedAt: state === 'CONTAINER_EXITED' ? T0 + 2000 : 0,
    exitCode,
    reason,
    message: '',
    logPath: '',
  };
}

function inputs(pod: Pod, state: PodRuntimeState, extra: Partial<StatusInputs> = {}): StatusInputs {
  return { pod, state, runtimeName: 'fake', nodeIPs: ['192.168.0.1'], waiting: new Map(), readiness: new Map(), startup: new Map(), now: new Date(T0 + 5000), ...extra };
}

const cond = (s: ReturnType<typeof generatePodStatus>, type: string) => s.conditions!.find((c) => c.type === type)!;

test('nothing created yet: Pending, ContainerCreating, conditions False with upstream messages', () => {
  const s = generatePodStatus(inputs(mkPod(), { sandboxes: [], containers: [] }));
  assert.equal(s.phase, 'Pending');
  assert.deepEqual(s.containerStatuses![0]!.state, { waiting: { reason: 'ContainerCreating' } });
  assert.equal(cond(s, 'PodReadyToStartContainers').status, 'False');
  assert.equal(cond(s, 'Ready').reason, 'ContainersNotReady');
  assert.equal(cond(s, 'Ready').message, 'containers with unready status: [a]');
  assert.equal(cond(s, 'PodScheduled').status, 'True');
  assert.deepEqual(s.conditions!.map((c) => c.type), ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
});

test('running container: Running, Ready, ids and IPs', () => {
  const s = generatePodStatus(inputs(mkPod(), { sandboxes: [sandbox()], containers: [ctr('a', 'CONTAINER_RUNNING')] }));
  assert.equal(s.phase, 'Running');
  const cs = s.containerStatuses![0]!;
  assert.equal(cs.ready, true);
  assert.equal(cs.started, true);
  assert.equal(cs.containerID, 'fake://a-0');
  assert.equal(cs.state.running!.startedAt, '2025-01-01T00:00:01Z');
  assert.equal(s.podIP, '10.0.0.9');
  assert.equal(s.hostIP, '192.168.0.1');
  assert.equal(cond(s, 'Ready').status, 'True');
});

test('readiness probe without a result keeps the container unready', () => {
  const pod = mkPod({ containers: [{ name: 'a', image: 'img', readinessProbe: { exec: { command: ['true'] } } }] });
  const s = generatePodStatus(inputs(pod, { sandboxes: [sandbox()], containers: [ctr('a', 'CONTAINER_RUNNING')] }));
  assert.equal(s.containerStatuses![0]!.ready, false);
  assert.equal(cond(s, 'ContainersReady').status, 'False');
});

test('crash loop: waiting CrashLoopBackOff with last state terminated, phase Running', () => {
  const waiting = new Map([['a', { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=a pod=p_default(u1)' }]]);
  const s = generatePodStatus(inputs(mkPod(), { sandboxes: [sandbox()], containers: [ctr('a', 'CONTAINER_EXITED', 3, 1, 'Error'), ctr('a', 'CONTAINER_EXITED', 2, 1, 'Error')] }, { waiting }));
  const cs = s.containerStatuses![0]!;
  assert.equal(s.phase, 'Running');
  assert.equal(cs.restartCount, 3);
  assert.equal(cs.state.waiting!.reason, 'CrashLoopBackOff');
  assert.equal(cs.lastState.terminated!.exitCode, 1);
  assert.equal(cs.lastState.terminated!.reason, 'Error');
});

test('phases for restart policies', () => {
  const done = (code: number) => ({ sandboxes: [sandbox()], containers: [ctr('a', 'CONTAINER_EXITED', 0, code, code ? 'Error' : 'Completed')] });
  assert.equal(generatePodStatus(inputs(mkPod({ restartPolicy: 'Never' }), done(0))).phase, 'Succeeded');
  assert.equal(generatePodStatus(inputs(mkPod({ restartPolicy: 'Never' }), done(2))).phase, 'Failed');
  assert.equal(generatePodStatus(inputs(mkPod({ restartPolicy: 'OnFailure' }), done(2))).phase, 'Running');
  assert.equal(generatePodStatus(inputs(mkPod({ restartPolicy: 'OnFailure' }), done(0))).phase, 'Succeeded');
  assert.equal(generatePodStatus(inputs(mkPod({ restartPolicy: 'Always' }), done(0))).phase, 'Running');
  const s = generatePodStatus(inputs(mkPod({ restartPolicy: 'Never' }), done(0), { terminal: true }));
  assert.equal(cond(s, 'Ready').reason, 'PodCompleted');
  assert.equal(cond(s, 'PodReadyToStartContainers').status, 'False');
});

test('init containers: Pending with PodInitializing until they finish', () => {
  const pod = mkPod({ initContainers: [{ name: 'init', image: 'img' }] });
  const s = generatePodStatus(inputs(pod, { sandboxes: [sandbox()], containers: [ctr('init', 'CONTAINER_RUNNING')] }));
  assert.equal(s.phase, 'Pending');
  assert.equal(s.containerStatuses![0]!.state.waiting!.reason, 'PodInitializing');
  assert.equal(cond(s, 'Initialized').message, 'containers with incomplete status: [init]');
  const s2 = generatePodStatus(inputs(pod, { sandboxes: [sandbox()], containers: [ctr('init', 'CONTAINER_EXITED', 0, 0, 'Completed'), ctr('a', 'CONTAINER_RUNNING')] }));
  assert.equal(s2.phase, 'Running');
  assert.equal(cond(s2, 'Initialized').status, 'True');
  assert.equal(s2.initContainerStatuses![0]!.state.terminated!.reason, 'Completed');
});

const noProbes = { restartReason: () => undefined };

test('actions: new pod creates a sandbox and starts every container; init containers one by one', () => {
  const a = computePodActions(mkPod({ containers: [{ name: 'a', image: 'i' }, { name: 'b', image: 'i' }] }), { sandboxes: [], containers: [] }, noProbes);
  assert.equal(a.createSandbox, true);
  assert.deepEqual(a.start.map((s) => s.container.name), ['a', 'b']);
  const pod = mkPod({ initContainers: [{ name: 'i1', image: 'i' }, { name: 'i2', image: 'i' }] });
  assert.deepEqual(computePodActions(pod, { sandboxes: [], containers: [] }, noProbes).start.map((s) => s.container.name), ['i1']);
  assert.deepEqual(computePodActions(pod, { sandboxes: [sandbox()], containers: [ctr('i1', 'CONTAINER_EXITED', 0, 0)] }, noProbes).start.map((s) => s.container.name), ['i2']);
  assert.deepEqual(computePodActions(pod, { sandboxes: [sandbox()], containers: [ctr('i1', 'CONTAINER_RUNNING')] }, noProbes).start, []);
});

test('actions: dead sandbox kills the pod and restarts everything in a new sandbox', () => {
  const a = computePodActions(mkPod(), { sandboxes: [sandbox('SANDBOX_NOTREADY', 0)], containers: [ctr('a', 'CONTAINER_RUNNING')] }, noProbes);
  assert.equal(a.sandboxChanged, true);
  assert.equal(a.killPod, true);
  assert.equal(a.createSandbox, true);
  assert.equal(a.sandboxAttempt, 1);
  assert.equal(a.start[0]!.previous!.id, 'a-0');
  const never = computePodActions(mkPod({ restartPolicy: 'Never' }), { sandboxes: [sandbox('SANDBOX_NOTREADY')], containers: [ctr('a', 'CONTAINER_EXITED')] }, noProbes);
  assert.equal(never.createSandbox, false);
  assert.equal(never.done, true);
});

test('actions: restart policies and liveness failures', () => {
  const exited = (code: number) => ({ sandboxes: [sandbox()], containers: [ctr('a', 'CONTAINER_EXITED', 0, code)] });
  assert.equal(computePodActions(mkPod({ restartPolicy: 'Always' }), exited(0), noProbes).start.length, 1);
  assert.equal(computePodActions(mkPod({ restartPolicy: 'OnFailure' }), exited(0), noProbes).done, true);
  assert.equal(computePodActions(mkPod({ restartPolicy: 'OnFailure' }), exited(1), noProbes).start.length, 1);
  assert.equal(computePodActions(mkPod({ restartPolicy: 'Never' }), exited(1), noProbes).done, true);
  const live = computePodActions(mkPod(), { sandboxes: [sandbox()], containers: [ctr('a', 'CONTAINER_RUNNING')] }, { restartReason: () => 'Container a failed liveness probe, will be restarted' });
  assert.equal(live.kill[0]!.message, 'Container a failed liveness probe, will be restarted');
  assert.equal(live.start.length, 1);
});

test('termination message: the file wins; FallbackToLogsOnError takes the log tail of a failed container', async () => {
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { terminationMessage, ANNOTATION_TERMINATION_MESSAGE_HOST_PATH } = await import('../../src/kubelet/pod/termination-message.js');
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-termmsg-'));
  try {
    const file = join(dir, 'termination-log-0');
    const log = join(dir, '0.log');
    await writeFile(file, '');
    const lines = Array.from({ length: 100 }, (_, i) => `2026-11-26T00:00:00.000000000Z stdout F line ${i}`).join('\n') + '\n';
    await writeFile(log, lines);
    const base = { id: 'x', podSandboxId: 's', metadata: { name: 'c', attempt: 0 }, image: 'i', imageRef: 'i', state: 'CONTAINER_EXITED' as const, createdAt: 0, labels: {}, annotations: { [ANNOTATION_TERMINATION_MESSAGE_HOST_PATH]: file }, startedAt: 0, finishedAt: 0, exitCode: 1, reason: '', message: '', logPath: log };
    assert.equal(terminationMessage(base, { name: 'c' }), undefined, 'File policy, empty file: no message');
    const tail = terminationMessage(base, { name: 'c', terminationMessagePolicy: 'FallbackToLogsOnError' })!;
    assert.equal(tail.split('\n').length, 80);
    assert.ok(tail.endsWith('line 99'));
    assert.equal(terminationMessage({ ...base, exitCode: 0 }, { name: 'c', terminationMessagePolicy: 'FallbackToLogsOnError' }), undefined, 'success never falls back to logs');
    await writeFile(file, 'x'.repeat(5000));
    assert.equal(terminationMessage(base, { name: 'c' })!.length, 4096, 'at most 4 KiB');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('status manager: a status the API already holds (nulls dropped, keys reordered) is not written again', async () => {
  const { StatusManager } = await import('../../src/kubelet/pod/status-manager.js');
  const patches: unknown[] = [];
  const ctx = { client: { patch: async (...a: unknown[]) => void patches.push(a) }, log: { warn: () => undefined } } as never;
  const sm = new StatusManager(ctx);
  const generated = {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2025-01-01T00:00:01Z' }],
    hostIP: '192.168.0.1',
    containerStatuses: [{ name: 'a', state: { running: { startedAt: '2025-01-01T00:00:01Z' } }, lastState: {}, ready: true, restartCount: 0, image: 'img', imageID: 'sha256:1', started: true }],
  } as Pod['status'];
  // What the server sends back: no null lastProbeTime, keys in another order, a qosClass the kubelet does not own.
  const fromServer = {
    qosClass: 'BestEffort',
    hostIP: '192.168.0.1',
    containerStatuses: [{ restartCount: 0, name: 'a', ready: true, lastState: {}, state: { running: { startedAt: '2025-01-01T00:00:01Z' } }, image: 'img', imageID: 'sha256:1', started: true }],
    conditions: [{ lastTransitionTime: '2025-01-01T00:00:01Z', status: 'True', type: 'Ready' }],
    phase: 'Running',
  } as Pod['status'];
  const target = { ...mkPod(), metadata: { name: 'p', namespace: 'default', uid: 'u1', resourceVersion: '7' }, status: fromServer } as Pod;
  assert.equal(await sm.update(target, generated!), true);
  assert.equal(patches.length, 0);
  // A real transition is a change: written once, not again for the same stale copy.
  const later = structuredClone(generated!);
  later.conditions![0] = { ...later.conditions![0]!, status: 'False', lastTransitionTime: '2025-01-01T00:00:02Z' };
  assert.equal(await sm.update(target, later), true);
  assert.equal(await sm.update(target, later), true);
  assert.equal(patches.length, 1);
});
