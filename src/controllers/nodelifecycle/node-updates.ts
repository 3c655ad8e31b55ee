import { nowTimestamp } from '../../api/types.js';
import type { RestClient } from '../../client/rest.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import { isConflict, isNotFound } from '../../client/status.js';
import { logger } from '../../util/log.js';
import { NODES, PODS } from '../core-resources.js';
import { swapTaints } from './taints.js';
import { getCondition, type Node, type Pod, type Taint } from './types.js';
import { forEachInParallel } from '../../util/parallel.js';

// The writes the node lifecycle controller makes (upstream's controller
// utils): taint swaps guarded by resourceVersion and retried on conflict
// with a fresh read, pods' Ready condition set False, node events.

const log = logger('node-lifecycle-controller');
const TAINT_RETRIES = 5;

/** Adds and removes taints; true when the node ends up as asked. */
export async function swapNodeTaints(client: RestClient, node: Node, add: Taint[], remove: Taint[]): Promise<boolean> {
  let current = node;
  for (let attempt = 0; attempt < TAINT_RETRIES; attempt++) {
    const next = swapTaints(current.spec?.taints, add, remove, nowTimestamp());
    const before = current.spec?.taints ?? [];
    const unchanged = next.length === before.length && add.every((a) => before.some((b) => b.key === a.key && b.effect === a.effect)) && !remove.some((r) => before.some((b) => b.key === r.key && b.effect === r.effect));
    if (unchanged) return true;
    try {
      await client.patch(NODES, undefined, current.metadata.name!, 'merge', {
        metadata: { resourceVersion: current.metadata.resourceVersion },
        spec: { taints: next.length ? next : null },
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      if (!isConflict(err)) {
        log.warn({ node: node.metadata.name, err: (err as Error).message }, 'failed to update node taints');
        return false;
      }
    }
    try {
      current = await client.get<Node>(NODES, undefined, node.metadata.name!);
    } catch (err) {
      log.warn({ node: node.metadata.name, err: (err as Error).message }, 'failed to get node to retry taint update');
      return false;
    }
  }
  return false;
}

/** Pod status writes in flight while one node's pods are marked NotReady. */
const MARK_NOT_READY_IN_FLIGHT = 16;

/** Sets the pods' Ready condition False (MarkPodsNotReady); throws when some could not be updated. */
export async function markPodsNotReady(client: RestClient, recorder: EventRecorder, pods: Pod[], nodeName: string): Promise<void> {
  const errors: Error[] = [];
  const todo = pods.filter((p) => {
    const ready = getCondition(p.status?.conditions, 'Ready');
    return p.spec?.nodeName === nodeName && ready && ready.status !== 'False';
  });
  const mark = async (p: Pod): Promise<void> => {
    const pod = structuredClone(p);
    const cond = getCondition(pod.status!.conditions, 'Ready')!;
    cond.status = 'False';
    cond.lastTransitionTime = nowTimestamp();
    try {
      await client.updateStatus(PODS, pod.metadata.namespace, pod);
    } catch (err) {
      if (isNotFound(err)) return;
      log.info({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, err: (err as Error).message }, 'failed to update status for pod');
      errors.push(err as Error);
      return;
    }
    // Recorded after the update so the pod is known to still exist.
    recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
  };
  // Upstream writes them one after another inside the monitor pass, so a node with many pods delays the next
  // pass (and every other silent node's NotReady) by that many round trips; a few at a time keeps the pass short.
  await forEachInParallel(todo, MARK_NOT_READY_IN_FLIGHT, mark);
  if (errors.length) throw new Error(errors.map((e) => e.message).join('; '));
}

/** An event about a node, referenced by name and uid as upstream's RecordNodeEvent. */
export function recordNodeEvent(recorder: EventRecorder, name: string, uid: string, type: 'Normal' | 'Warning', reason: string, message: string): void {
  recorder.event({ kind: 'Node', name, uid, namespace: '' }, type, reason, message);
}

/** "Node X status is now: NodeNotReady"; upstream uses the node's name as the reference uid here. */
export function recordNodeStatusChange(recorder: EventRecorder, node: Node, status: string): void {
  const name = node.metadata.name!;
  recorder.event({ kind: 'Node', name, uid: name, namespace: '' }, 'Normal', status, `Node ${name} status is now: ${status}`);
}
