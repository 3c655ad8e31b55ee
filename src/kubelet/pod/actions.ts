import type { ContainerStatus } from '../../runtime/interface.js';
import type { Container, Pod } from '../api-types.js';
import { ANNOTATION_CONTAINER_HASH, containerHash } from './container-config.js';
import { instancesOf, type PodRuntimeState } from './runtime-state.js';

// The next steps for one pod, as upstream's computePodActions: compare the
// spec with what the runtime has and say what to kill and start. Pure, so
// every rule (sandbox changes, init order, restart policies) is unit-tested,
// and idempotent: running it again after a partial failure picks up where
// the last sync stopped.

export interface StartStep {
  container: Container;
  init: boolean;
  /** An ephemeral container (kubectl debug): started once, never restarted. */
  ephemeral?: boolean;
  /** The running container whose process namespace an ephemeral container joins (its targetContainerName). */
  targetId?: string;
  fieldPath: string;
  /** The instance this one replaces; its attempt + 1 is the new restart count, its finish time feeds the back-off. */
  previous?: ContainerStatus;
}

export interface KillStep {
  id: string;
  name: string;
  fieldPath: string;
  /** Event message; default "Stopping container <name>". */
  message?: string;
}

export interface PodActions {
  /** The sandbox is gone or not ready: kill everything before a new one. */
  killPod: boolean;
  sandboxChanged: boolean;
  createSandbox: boolean;
  sandboxAttempt: number;
  kill: KillStep[];
  start: StartStep[];
  /** No container of this pod will run again. */
  done: boolean;
}

export interface ProbeVerdicts {
  /** Why a running container must be restarted (failed liveness or startup probe), if it must. */
  restartReason(containerId: string, name: string): string | undefined;
}

export function shouldRestart(policy: string | undefined, exitCode: number): boolean {
  if (policy === 'Never') return false;
  if (policy === 'OnFailure') return exitCode !== 0;
  return true;
}

const fieldPathOf = (init: boolean, name: string): string => `spec.${init ? 'initContainers' : 'containers'}{${name}}`;

/** Ephemeral containers never started yet; they may start before initialization completes, as upstream. */
function ephemeralToStart(pod: Pod, state: PodRuntimeState): StartStep[] {
  const steps: StartStep[] = [];
  for (const c of pod.spec.ephemeralContainers ?? []) {
    if (instancesOf(state, c.name).latest) continue;
    const target = c.targetContainerName ? instancesOf(state, c.targetContainerName).latest : undefined;
    const { targetContainerName: _t, ...common } = c;
    steps.push({
      container: common,
      init: false,
      ephemeral: true,
      fieldPath: `spec.ephemeralContainers{${c.name}}`,
      ...(target?.state === 'CONTAINER_RUNNING' ? { targetId: target.id } : {}),
    });
  }
  return steps;
}

export function computePodActions(pod: Pod, state: PodRuntimeState, probes: ProbeVerdicts): PodActions {
  const policy = pod.spec.restartPolicy ?? 'Always';
  const inits = pod.spec.initContainers ?? [];
  const actions: PodActions = { killPod: false, sandboxChanged: false, createSandbox: false, sandboxAttempt: 0, kill: [], start: [], done: false };
  const sandbox = state.sandboxes[0];

  if (!sandbox || sandbox.state !== 'SANDBOX_READY') {
    actions.createSandbox = true;
    if (sandbox) {
      actions.sandboxChanged = true;
      actions.killPod = true;
      actions.sandboxAttempt = sandbox.metadata.attempt + 1;
      // A Never pod whose sandbox died after its containers ran is over, as upstream decides.
      if (policy === 'Never' && state.containers.length > 0) {
        actions.createSandbox = false;
        actions.done = true;
        return actions;
      }
    }
    if (inits.length > 0) {
      actions.start.push({ container: inits[0]!, init: true, fieldPath: fieldPathOf(true, inits[0]!.name), previous: instancesOf(state, inits[0]!.name).latest });
      return actions;
    }
    for (const c of pod.spec.containers) {
      const { latest } = instancesOf(state, c.name);
      if (latest && latest.state === 'CONTAINER_EXITED' && latest.exitCode === 0 && policy === 'OnFailure') continue;
      actions.start.push({ container: c, init: false, fieldPath: fieldPathOf(false, c.name), previous: latest });
    }
    return actions;
  }

  actions.start.push(...ephemeralToStart(pod, state));
  for (const c of inits) {
    const { latest } = instancesOf(state, c.name);
    const fp = fieldPathOf(true, c.name);
    if (!latest) {
      actions.start.push({ container: c, init: true, fieldPath: fp });
      return actions;
    }
    if (latest.state === 'CONTAINER_RUNNING') return actions;
    if (latest.state === 'CONTAINER_EXITED' && latest.exitCode === 0) continue;
    if (latest.state === 'CONTAINER_EXITED' && policy === 'Never') {
      actions.done = true;
      return actions;
    }
    if (latest.state === 'CONTAINER_CREATED') actions.kill.push({ id: latest.id, name: c.name, fieldPath: fp });
    actions.start.push({ container: c, init: true, fieldPath: fp, previous: latest });
    return actions;
  }

  let willRun = 0;
  for (const c of pod.spec.containers) {
    const { latest } = instancesOf(state, c.name);
    const fp = fieldPathOf(false, c.name);
    if (!latest) {
      actions.start.push({ container: c, init: false, fieldPath: fp });
      willRun++;
      continue;
    }
    if (latest.state === 'CONTAINER_RUNNING') {
      const probeReason = probes.restartReason(latest.id, c.name);
      const hash = latest.annotations[ANNOTATION_CONTAINER_HASH];
      const changed = hash !== undefined && hash !== containerHash(c);
      if (probeReason || changed) {
        actions.kill.push({ id: latest.id, name: c.name, fieldPath: fp, message: probeReason ?? `Container ${c.name} definition changed, will be restarted` });
        if (changed || policy !== 'Never') {
          actions.start.push({ container: c, init: false, fieldPath: fp, previous: latest });
          willRun++;
        }
      } else {
        willRun++;
      }
      continue;
    }
    if (latest.state === 'CONTAINER_CREATED') {
      actions.kill.push({ id: latest.id, name: c.name, fieldPath: fp });
      actions.start.push({ container: c, init: false, fieldPath: fp, previous: latest });
      willRun++;
      continue;
    }
    if (shouldRestart(policy, latest.exitCode)) {
      actions.start.push({ container: c, init: false, fieldPath: fp, previous: latest });
      willRun++;
    }
  }
  actions.done = willRun === 0;
  return actions;
}
