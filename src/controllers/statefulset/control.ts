import { isNotFound } from '../../client/status.js';
import type { Logger } from '../../util/log.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import type { ControllerRevision } from '../shared/history.js';
import type { Pod } from '../shared/types.js';
import { scaledValue } from '../deployment/util.js';
import {
  applyRevision,
  endOrdinal,
  identityMatches,
  isCreated,
  isHealthy,
  isRunningAndAvailable,
  isRunningAndReady,
  isTerminating,
  newVersionedPod,
  ordinalOf,
  podName,
  replicasOf,
  revisionOf,
  startOrdinal,
  storageMatches,
} from './identity.js';
import type { StatefulPodControl } from './pod-control.js';
import type { StatefulSet, StatefulSetStatus } from './types.js';

// One pass of upstream's defaultStatefulSetControl.updateStatefulSet: make
// the pods at ordinals [start, start+replicas) exist, in order and one at a
// time under OrderedReady (each waits for its predecessors to be Running,
// Ready and available), all at once under Parallel; then remove pods beyond
// the range, highest first; then, for RollingUpdate, replace the highest
// pod not at the update revision down to the partition. A pod that still
// exists, even terminating on a dead node, holds its ordinal: no second
// copy is made until the object is gone.

const MAX_BATCH = 500;

/** Creations already sent but not yet seen by the informer, so a lagging cache does not create twice. */
export interface PendingCreates {
  has(namespace: string, name: string): boolean;
  add(namespace: string, name: string): void;
  forget(namespace: string, name: string): void;
}

export interface ControlDeps {
  pods: StatefulPodControl;
  recorder: EventRecorder;
  log: Logger;
  pending: PendingCreates;
  now(): number;
}

/** Runs fn over indexes in batches 1, 2, 4, ... (at most 500), stopping after the first batch with an error. */
async function slowStartBatch(count: number, fn: (i: number) => Promise<boolean>): Promise<void> {
  let remaining = count;
  let j = 0;
  for (let batch = Math.min(remaining, 1); batch > 0; batch = Math.min(2 * batch, remaining, MAX_BATCH)) {
    const idx = Array.from({ length: batch }, () => j++);
    const results = await Promise.allSettled(idx.map((i) => fn(i)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    remaining -= batch;
  }
}

/** In order and stopping at the first that says so (monotonic), or all in slow-start batches. Returns true to end the pass. */
async function runForAll(n: number, fn: (i: number) => Promise<boolean>, monotonic: boolean): Promise<boolean> {
  if (monotonic) {
    for (let i = 0; i < n; i++) if (await fn(i)) return true;
    return false;
  }
  await slowStartBatch(n, fn);
  return false;
}

export function computeStatus(status: StatefulSetStatus, minReadySeconds: number, currentRevision: string, updateRevision: string, now: number, ...lists: (Pod | undefined)[][]): void {
  status.replicas = 0;
  status.readyReplicas = 0;
  status.availableReplicas = 0;
  status.currentReplicas = 0;
  status.updatedReplicas = 0;
  for (const list of lists) {
    for (const p of list) {
      if (!p) continue;
      if (isCreated(p)) status.replicas++;
      if (isRunningAndReady(p)) {
        status.readyReplicas++;
        if (isRunningAndAvailable(p, minReadySeconds, now)) status.availableReplicas++;
      }
      if (isCreated(p) && !isTerminating(p)) {
        const rev = revisionOf(p);
        if (rev === currentRevision) status.currentReplicas++;
        if (rev === updateRevision) status.updatedReplicas++;
      }
    }
  }
}

/** maxUnavailable of the rolling update, rounded down, at least 1. */
export function maxUnavailableOf(set: StatefulSet): number {
  const v = scaledValue(set.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, replicasOf(set), false);
  return v < 1 ? 1 : v;
}

export async function updateStatefulSet(d: ControlDeps, set: StatefulSet, currentRev: ControllerRevision, updateRev: ControllerRevision, collisionCount: number, pods: Pod[]): Promise<StatefulSetStatus> {
  const currentSet = applyRevision(set, currentRev);
  const updateSet = applyRevision(set, updateRev);
  const current = currentRev.metadata.name!;
  const update = updateRev.metadata.name!;
  const minReady = set.spec?.minReadySeconds ?? 0;
  const status: StatefulSetStatus = {
    observedGeneration: set.metadata.generation,
    replicas: 0,
    availableReplicas: 0,
    currentRevision: current,
    updateRevision: update,
    collisionCount,
  };
  computeStatus(status, minReady, current, update, d.now(), pods);

  const start = startOrdinal(set);
  const count = replicasOf(set);
  // A missing ordinal's pod is built when the pass reaches it: under OrderedReady a pass
  // stops at the first pod not yet Ready, and building every missing pod of a set on
  // every sync made each start-up quadratic in the replica count. Until built, an empty
  // slot stands for a pod not yet created (never healthy, counted nowhere in status).
  const replicas: (Pod | undefined)[] = new Array<Pod | undefined>(count).fill(undefined);
  const condemned: Pod[] = [];
  for (const p of pods) {
    const o = ordinalOf(p);
    if (o >= start && o <= endOrdinal(set)) replicas[o - start] = p;
    else if (o >= 0) condemned.push(p);
  }
  const replicaAt = (i: number): Pod => (replicas[i] ??= newVersionedPod(currentSet, updateSet, current, update, start + i));
  condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));

  let firstUnhealthy: Pod | undefined;
  let unhealthy = 0;
  for (let i = 0; i < count; i++) {
    const p = replicas[i];
    if (!p || !isHealthy(p)) {
      unhealthy++;
      firstUnhealthy ??= replicaAt(i);
    }
  }
  for (let i = condemned.length - 1; i >= 0; i--) {
    if (!isHealthy(condemned[i]!)) {
      unhealthy++;
      firstUnhealthy ??= condemned[i];
    }
  }
  if (unhealthy > 0) d.log.debug({ statefulSet: `${set.metadata.namespace}/${set.metadata.name}`, unhealthy, firstUnhealthy: firstUnhealthy?.metadata.name }, 'StatefulSet has unhealthy Pods');

  if (set.metadata.deletionTimestamp) return status;

  const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
  const finish = (): StatefulSetStatus => {
    computeStatus(status, minReady, current, update, d.now(), replicas, condemned);
    return status;
  };

  const processReplica = async (i: number): Promise<boolean> => {
    // A creation already in flight: nothing to build, nothing to do (as for any pod not yet created and pending below).
    if (!replicas[i] && d.pending.has(set.metadata.namespace!, podName(set, start + i))) return monotonic;
    let pod = replicaAt(i);
    const ordinal = start + i;
    // A finished pod (failed, or succeeded after an eviction or a node reboot) is replaced whatever its exit code.
    if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') {
      if (pod.status.phase === 'Failed') d.recorder.event(set, 'Warning', 'RecreatingFailedPod', `StatefulSet ${set.metadata.namespace}/${set.metadata.name} is recreating failed Pod ${pod.metadata.name}`);
      else d.recorder.event(set, 'Normal', 'RecreatingTerminatedPod', `StatefulSet ${set.metadata.namespace}/${set.metadata.name} is recreating terminated Pod ${pod.metadata.name}`);
      try {
        await d.pods.delete(set, pod);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      // A terminal pod is deleted at once (no grace), so its name is free for the replacement.
      pod = replicas[i] = newVersionedPod(currentSet, updateSet, current, update, ordinal);
    }
    if (!isCreated(pod)) {
      if (d.pending.has(set.metadata.namespace!, pod.metadata.name!)) return monotonic;
      // A claim still owned by the previous pod of this name is about to be collected: wait for it.
      if (d.pods.claims.isStale(set, pod)) return true;
      // Noted before the request: the informer may deliver the new pod before create() returns.
      d.pending.add(set.metadata.namespace!, pod.metadata.name!);
      let created: Pod;
      try {
        created = await d.pods.create(set, pod);
      } catch (err) {
        d.pending.forget(set.metadata.namespace!, pod.metadata.name!);
        throw err;
      }
      replicas[i] = created;
      if (monotonic) return true;
      pod = created;
    }
    if (isTerminating(pod) && monotonic) {
      d.log.debug({ pod: pod.metadata.name }, 'StatefulSet is waiting for Pod to Terminate');
      return true;
    }
    if (pod.status?.phase === 'Pending') await d.pods.claims.createMissing(set, pod);
    if (!isRunningAndReady(pod) && monotonic) return true;
    if (!isRunningAndAvailable(pod, minReady, d.now()) && monotonic) return true;
    const retentionMatch = d.pods.claims.matchesPolicy(updateSet, pod);
    if (identityMatches(set, pod) && storageMatches(set, pod) && retentionMatch) return false;
    await d.pods.update(updateSet, pod);
    return false;
  };
  if (await runForAll(count, processReplica, monotonic)) return finish();

  // Pods beyond the range hand their claims to themselves (whenScaled: Delete) before they go.
  const fixClaims = async (i: number): Promise<boolean> => {
    const p = condemned[i]!;
    if (!d.pods.claims.matchesPolicy(updateSet, p)) await d.pods.claims.updateForPolicy(updateSet, p);
    return false;
  };
  if (await runForAll(condemned.length, fixClaims, monotonic)) return finish();

  // Scale down, highest ordinal first; under OrderedReady one at a time and only while the rest are healthy.
  const processCondemned = async (i: number): Promise<boolean> => {
    const p = condemned[i]!;
    if (isTerminating(p)) return monotonic;
    if (!isRunningAndReady(p) && monotonic && p !== firstUnhealthy) return true;
    if (!isRunningAndAvailable(p, minReady, d.now()) && monotonic && p !== firstUnhealthy) return true;
    d.log.info({ pod: `${p.metadata.namespace}/${p.metadata.name}` }, 'Pod of StatefulSet is terminating for scale down');
    try {
      await d.pods.delete(set, p);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return true;
  };
  if (await runForAll(condemned.length, processCondemned, monotonic)) return finish();

  finish();
  const strategy = set.spec?.updateStrategy;
  if (strategy?.type === 'OnDelete') return status;
  const updateMin = strategy?.rollingUpdate?.partition ?? 0;

  if (strategy?.rollingUpdate?.maxUnavailable !== undefined) {
    // Several at a time: as many old pods as maxUnavailable leaves room for, counting pods already unhealthy.
    const maxUnavailable = maxUnavailableOf(set);
    const unavailable = replicas.filter((p) => !p || !isHealthy(p)).length;
    if (unavailable >= maxUnavailable) return status;
    let deleted = 0;
    for (let t = replicas.length - 1; t >= updateMin && deleted < maxUnavailable - unavailable; t--) {
      const p = replicaAt(t);
      if (revisionOf(p) !== update && !isTerminating(p)) {
        d.log.info({ pod: `${p.metadata.namespace}/${p.metadata.name}` }, 'Pod of StatefulSet is terminating for update');
        try {
          await d.pods.delete(set, p);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        deleted++;
        status.currentReplicas = (status.currentReplicas ?? 0) - 1;
      }
    }
    return status;
  }
  // One at a time: the highest pod not at the update revision, once every higher one is healthy.
  for (let t = replicas.length - 1; t >= updateMin; t--) {
    const p = replicaAt(t);
    if (revisionOf(p) !== update && !isTerminating(p)) {
      d.log.info({ pod: `${p.metadata.namespace}/${p.metadata.name}` }, 'Pod of StatefulSet is terminating for update');
      try {
        await d.pods.delete(set, p);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      status.currentReplicas = (status.currentReplicas ?? 0) - 1;
      return status;
    }
    if (!isHealthy(p)) return status;
  }
  return status;
}
