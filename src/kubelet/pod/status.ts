import type { ContainerStatus as RuntimeContainerStatus } from '../../runtime/interface.js';
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from '../api-types.js';
import { ContainerCreating, PodInitializing } from '../events.js';
import { instancesOf, sandboxIPs, type PodRuntimeState } from './runtime-state.js';
import { terminationMessage } from './termination-message.js';

// The pod's API status from the runtime's view, as upstream's
// generateAPIPodStatus, getPhase and the status generators: pure, so the
// rules can be unit-tested and every sync recomputes from scratch.

export interface StatusInputs {
  pod: Pod;
  state: PodRuntimeState;
  runtimeName: string;
  nodeIPs: string[];
  /** Why a container is waiting, from the last sync (CrashLoopBackOff, ErrImagePull, ...). */
  waiting: Map<string, { reason: string; message: string }>;
  /** Probe results by container id; absent means no result yet. */
  readiness: Map<string, boolean>;
  startup: Map<string, boolean>;
  /** The kubelet has finished the pod (deleted, or every container is done): phase is final. */
  terminal?: boolean;
  now: Date;
}

const ts = (ms: number): string | undefined => (ms > 0 ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined);
const nowTs = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function terminatedOf(c: RuntimeContainerStatus, runtimeName: string, spec?: Container): ContainerState {
  const reason = c.reason || (c.exitCode === 0 ? 'Completed' : 'Error');
  const t: ContainerState['terminated'] = { exitCode: c.exitCode, reason, startedAt: ts(c.startedAt), finishedAt: ts(c.finishedAt), containerID: `${runtimeName}://${c.id}` };
  const message = terminationMessage(c, spec) ?? c.message;
  if (message) t.message = message;
  if (!t.startedAt) delete t.startedAt;
  if (!t.finishedAt) delete t.finishedAt;
  return { terminated: t };
}

function containerStatus(spec: Container, inp: StatusInputs, defaultWaiting: string): ContainerStatus {
  const { latest, previous } = instancesOf(inp.state, spec.name);
  const hasProbe = (p: unknown): boolean => p !== undefined && p !== null;
  const st: ContainerStatus = {
    name: spec.name,
    state: {},
    lastState: {},
    ready: false,
    restartCount: latest ? latest.metadata.attempt : 0,
    image: latest?.image ?? spec.image ?? '',
    imageID: latest?.imageRef ?? '',
    started: false,
  };
  if (latest) st.containerID = `${inp.runtimeName}://${latest.id}`;
  const override = inp.waiting.get(spec.name);
  if (latest?.state === 'CONTAINER_RUNNING') {
    st.state = { running: { startedAt: ts(latest.startedAt) } };
    if (previous && previous.state === 'CONTAINER_EXITED') st.lastState = terminatedOf(previous, inp.runtimeName, spec);
    st.started = hasProbe(spec.startupProbe) ? inp.startup.get(latest.id) === true : true;
    st.ready = st.started && (hasProbe(spec.readinessProbe) ? inp.readiness.get(latest.id) === true : true);
  } else if (latest?.state === 'CONTAINER_EXITED') {
    if (override && !inp.terminal) {
      st.state = { waiting: { ...override } };
      st.lastState = terminatedOf(latest, inp.runtimeName, spec);
    } else {
      st.state = terminatedOf(latest, inp.runtimeName, spec);
      if (previous && previous.state === 'CONTAINER_EXITED') st.lastState = terminatedOf(previous, inp.runtimeName, spec);
    }
  } else {
    st.state = { waiting: override ? { ...override } : { reason: defaultWaiting } };
    if (latest) {
      if (previous && previous.state === 'CONTAINER_EXITED') st.lastState = terminatedOf(previous, inp.runtimeName, spec);
    }
  }
  if (st.state.waiting && !st.state.waiting.message) delete st.state.waiting.message;
  if (spec.volumeMounts?.length) {
    st.volumeMounts = spec.volumeMounts.map((m) => ({ name: m.name, mountPath: m.mountPath, ...(m.readOnly ? { readOnly: true, recursiveReadOnly: 'Disabled' } : {}) }));
  }
  return st;
}

/** Init containers not yet finished successfully, in order. */
export function pendingInitContainers(pod: Pod, state: PodRuntimeState): string[] {
  const out: string[] = [];
  for (const c of pod.spec.initContainers ?? []) {
    const { latest } = instancesOf(state, c.name);
    if (!latest || latest.state !== 'CONTAINER_EXITED' || latest.exitCode !== 0) out.push(c.name);
  }
  return out;
}

/** upstream getPhase for the given container statuses. */
export function computePhase(pod: Pod, init: ContainerStatus[], regular: ContainerStatus[], terminal: boolean): NonNullable<PodStatus['phase']> {
  const policy = pod.spec.restartPolicy ?? 'Always';
  let pendingInit = 0;
  let failedInit = false;
  for (const s of init) {
    if (s.state.terminated) {
      if (s.state.terminated.exitCode !== 0) {
        pendingInit++;
        failedInit = true;
      }
    } else {
      pendingInit++;
      if (s.state.waiting && s.lastState.terminated && s.lastState.terminated.exitCode !== 0) failedInit = true;
    }
  }
  if (failedInit && policy === 'Never') return 'Failed';
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of regular) {
    if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state.waiting) {
      if (s.lastState.terminated) stopped++;
      else waiting++;
    }
  }
  if (pendingInit > 0 && !terminal) return 'Pending';
  if (terminal) {
    if (regular.length > 0 && stopped === regular.length && stopped === succeeded) return 'Succeeded';
    return 'Failed';
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(type: string, ok: boolean, reason: string | undefined, message: string | undefined, old: PodCondition[] | undefined, now: Date): PodCondition {
  const status = ok ? 'True' : 'False';
  const prev = old?.find((c) => c.type === type);
  const c: PodCondition = { type, status, lastProbeTime: null, lastTransitionTime: prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : nowTs(now) };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

const KUBELET_CONDITIONS = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady']);

export function generatePodStatus(inp: StatusInputs): PodStatus {
  const { pod, now } = inp;
  const old = pod.status ?? {};
  const initRunning = pendingInitContainers(pod, inp.state).length > 0;
  const initStatuses = (pod.spec.initContainers ?? []).map((c) => containerStatus(c, inp, PodInitializing));
  const statuses = pod.spec.containers.map((c) => containerStatus(c, inp, initRunning ? PodInitializing : ContainerCreating));
  const phase = computePhase(pod, initStatuses, statuses, !!inp.terminal);

  const ips = pod.spec.hostNetwork ? inp.nodeIPs.slice(0, 1) : sandboxIPs(inp.state);
  const sandboxReady = inp.state.sandboxes[0]?.state === 'SANDBOX_READY' && !inp.terminal;

  const notInit = (pod.spec.initContainers ?? []).filter((_c, i) => !initStatuses[i]!.state.terminated || initStatuses[i]!.state.terminated!.exitCode !== 0).map((c) => c.name);
  const initialized = notInit.length === 0 || phase === 'Succeeded';
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const completed = phase === 'Succeeded';
  const containersReady = unready.length === 0 && !completed;
  const gates = (pod.spec.readinessGates ?? []).map((g) => g.conditionType);
  const failedGates = gates.filter((g) => old.conditions?.find((c) => c.type === g)?.status !== 'True');

  const conds: PodCondition[] = [];
  conds.push(condition('PodReadyToStartContainers', sandboxReady && (pod.spec.hostNetwork === true || ips.length > 0), undefined, undefined, old.conditions, now));
  conds.push(
    condition('Initialized', initialized, initialized ? undefined : 'ContainersNotInitialized', initialized ? undefined : `containers with incomplete status: [${notInit.join(' ')}]`, old.conditions, now),
  );
  const unreadyReason = completed ? 'PodCompleted' : 'ContainersNotReady';
  const unreadyMsg = completed ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  if (!containersReady) conds.push(condition('Ready', false, unreadyReason, unreadyMsg, old.conditions, now));
  else if (failedGates.length > 0) conds.push(condition('Ready', false, 'ReadinessGatesNotReady', `the status of pod readiness gate "${failedGates[0]}" is not "True", but False`, old.conditions, now));
  else conds.push(condition('Ready', true, undefined, undefined, old.conditions, now));
  conds.push(condition('ContainersReady', containersReady, containersReady ? undefined : unreadyReason, containersReady ? undefined : unreadyMsg, old.conditions, now));
  for (const c of old.conditions ?? []) if (!KUBELET_CONDITIONS.has(c.type)) conds.push(c);
  if (!conds.some((c) => c.type === 'PodScheduled')) conds.push(condition('PodScheduled', true, undefined, undefined, undefined, new Date(Date.parse(old.startTime ?? '') || now.getTime())));

  const status: PodStatus = {
    phase,
    conditions: conds,
    hostIP: inp.nodeIPs[0],
    hostIPs: inp.nodeIPs.map((ip) => ({ ip })),
    startTime: old.startTime ?? nowTs(now),
  };
  if (ips.length > 0) {
    status.podIP = ips[0];
    status.podIPs = ips.map((ip) => ({ ip }));
  } else if (old.podIP && !inp.terminal) {
    // Keep reporting the last IP while the sandbox is being recreated, as upstream does.
    status.podIP = old.podIP;
    status.podIPs = old.podIPs;
  }
  if (initStatuses.length) status.initContainerStatuses = initStatuses;
  status.containerStatuses = statuses;
  const ephemeral = pod.spec.ephemeralContainers ?? [];
  if (ephemeral.length) {
    // Never ready and without `started`, as upstream reports them: probes do not apply.
    status.ephemeralContainerStatuses = ephemeral.map((c) => {
      const { targetContainerName: _t, ...common } = c;
      const s = containerStatus(common, inp, ContainerCreating);
      delete s.started;
      s.ready = false;
      return s;
    });
  }
  if (old.qosClass) status.qosClass = old.qosClass;
  return status;
}
