import { nowTimestamp } from '../../api/types.js';
import { isNotFound } from '../../client/status.js';
import { sleep } from '../../client/clock.js';
import { logger } from '../../util/log.js';
import { NODES, PODS } from '../core-resources.js';
import { extraDurationMs } from '../options.js';
import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import { missingNodes, terminatedToDelete, terminatingOnOutOfServiceNodes, unscheduledTerminating, type GcNode, type GcPod } from './decide.js';

// Upstream's pod-garbage-collector-controller: a periodic pass over the
// informer caches (not event driven: it cleans up what others left behind).
// A node missing from the cache must stay missing for the quarantine period
// and be confirmed absent by a live GET before its pods go, so a lagging
// cache never costs a pod. Pods are force-deleted (grace 0) after being
// marked Failed, as no kubelet will ever finish them.

const log = logger('pod-garbage-collector-controller');

interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export async function startPodGcController(ctx: ControllerContext): Promise<RunningController> {
  const pods = ctx.informers.informerFor<GcPod>(PODS);
  const nodes = ctx.informers.informerFor<GcNode>(NODES);
  const period = extraDurationMs(ctx.options, 'k8ts-pod-gc-period');
  const quarantine = extraDurationMs(ctx.options, 'k8ts-pod-gc-quarantine');
  const threshold = ctx.options.terminatedPodGcThreshold;
  /** Node name → when we first saw pods bound to it while it was missing. */
  const missingSince = new Map<string, number>();
  const ac = new AbortController();

  const forceDelete = async (pod: GcPod, condition?: PodCondition): Promise<void> => {
    const ns = pod.metadata.namespace!;
    const name = pod.metadata.name!;
    log.info({ pod: `${ns}/${name}` }, 'PodGC is force deleting Pod');
    try {
      if (pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed') {
        // Without a kubelet the pod would stay Running forever; record how it ended before it goes.
        const status = structuredClone(pod.status ?? {});
        status.phase = 'Failed';
        if (condition) status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), { ...condition, lastTransitionTime: nowTimestamp() }];
        await ctx.client.patch(PODS, ns, name, 'merge', { metadata: { uid: pod.metadata.uid }, status: { phase: status.phase, conditions: status.conditions } }, { subresource: 'status' });
      }
      await ctx.client.delete(PODS, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err)) log.warn({ pod: `${ns}/${name}`, err: (err as Error).message }, 'failed to delete pod');
    }
  };

  const nodeGone = async (name: string): Promise<boolean> => {
    try {
      await ctx.client.get(NODES, undefined, name);
      return false;
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
  };

  const gc = async (): Promise<void> => {
    const all = pods.store.list();
    for (const p of terminatedToDelete(all, threshold)) await forceDelete(p);

    const missing = missingNodes(all, (n) => nodes.store.get(n) !== undefined);
    for (const n of missingSince.keys()) if (!missing.has(n)) missingSince.delete(n);
    const now = Date.now();
    for (const n of missing) {
      const since = missingSince.get(n);
      if (since === undefined) {
        missingSince.set(n, now);
        continue;
      }
      if (now - since < quarantine) continue;
      if (!(await nodeGone(n))) {
        missingSince.delete(n);
        continue;
      }
      for (const p of pods.store.list().filter((x) => x.spec?.nodeName === n)) {
        await forceDelete(p, { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' });
      }
      missingSince.delete(n);
    }

    for (const p of unscheduledTerminating(pods.store.list())) await forceDelete(p);
    for (const p of terminatingOnOutOfServiceNodes(pods.store.list(), (n) => nodes.store.get(n))) await forceDelete(p);
  };

  const loop = (async () => {
    if (!(await pods.waitForSync(ac.signal)) || !(await nodes.waitForSync(ac.signal))) return;
    while (!ac.signal.aborted) {
      try {
        await gc();
      } catch (err) {
        log.error({ err }, 'pod garbage collection pass failed');
      }
      await sleep(period, ac.signal);
    }
  })();
  pods.start();
  nodes.start();
  return {
    async stop() {
      ac.abort();
      await loop;
    },
  };
}

export const podGcController: ControllerDescriptor = { name: 'podgc', start: startPodGcController };
