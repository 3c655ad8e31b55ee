import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import { isNotFound } from '../../client/status.js';
import { splitMetaNamespaceKey } from '../../client/store.js';
import { Expectations } from '../shared/expectations.js';
import { PodControl, podFromTemplate, slowStartBatch } from '../shared/pod-control.js';
import { claimObjects, ownedAndOrphans } from '../shared/claim.js';
import { controllerOf, newControllerRef, resolveControllerRef } from '../shared/owner-refs.js';
import { isPodActive, msUntilAvailable, isPodReady, podKey } from '../shared/pod-utils.js';
import { podsToDelete } from '../shared/pod-ranking.js';
import { PODS, REPLICASETS } from '../shared/resources.js';
import { isEmptySelector, selectorFor, selects } from '../shared/selectors.js';
import { KeyWorker, ensureIndex, keyOf } from '../shared/worker.js';
import { workersFor } from '../shared/options.js';
import type { Pod, ReplicaSet } from '../shared/types.js';
import { calculateStatus, statusUnchanged } from './status.js';

// The ReplicaSet controller: keeps `replicas` active pods matching the
// selector, adopting orphans and releasing pods that stopped matching, and
// reports counts in status. Creations go in slow-start batches and are
// remembered as expectations, so a sync never acts on a cache that has not
// yet seen the pods the previous sync made.

/** At most this many creations or deletions per sync, as upstream's BurstReplicas. */
export const BURST_REPLICAS = 500;
export const CONTROLLER_UID_INDEX = 'controllerUID';

export class ReplicaSetController {
  readonly expectations = new Expectations();
  private readonly worker: KeyWorker;
  private readonly podControl: PodControl;
  private readonly client: RestClient;
  private readonly recorder: EventRecorder;
  readonly rsInformer: Informer<ReplicaSet>;
  readonly podInformer: Informer<Pod>;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.recorder = ctx.recorder('replicaset-controller');
    this.podControl = new PodControl(this.client, this.recorder);
    this.rsInformer = ctx.informers.informerFor<ReplicaSet>(REPLICASETS);
    this.podInformer = ctx.informers.informerFor<Pod>(PODS);
    ensureIndex(this.podInformer, CONTROLLER_UID_INDEX, (p) => [controllerOf(p)?.uid ?? '']);
    ensureIndex(this.rsInformer, CONTROLLER_UID_INDEX, (rs) => [controllerOf(rs)?.uid ?? '']);
    this.worker = new KeyWorker({ name: 'replicaset-controller', workers: workersFor(ctx, ['replicaset', 'replicasets'], 5), sync: (k) => this.sync(k) });
  }

  start(): void {
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.worker.add(keyOf(rs)),
      onUpdate: (_old, rs) => this.worker.add(keyOf(rs)),
      onDelete: (rs) => {
        this.expectations.delete(keyOf(rs));
        this.worker.add(keyOf(rs));
      },
    });
    this.podInformer.addEventHandler({
      onAdd: (p) => this.onPodAdd(p),
      onUpdate: (o, p) => this.onPodUpdate(o, p),
      onDelete: (p) => this.onPodDelete(p),
    });
    this.worker.run([this.rsInformer, this.podInformer]);
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  private ownerOf(p: Pod): ReplicaSet | undefined {
    return resolveControllerRef(controllerOf(p), 'ReplicaSet', (n) => this.rsInformer.store.getByName(p.metadata.namespace, n));
  }

  /** ReplicaSets whose selector matches an orphan pod; all of them get a chance to adopt it. */
  private matchingSets(p: Pod): ReplicaSet[] {
    return this.rsInformer.store.byNamespace(p.metadata.namespace ?? '').filter((rs) => !isEmptySelector(rs.spec?.selector) && selects(selectorFor(rs.spec?.selector), p.metadata.labels));
  }

  private onPodAdd(p: Pod): void {
    if (p.metadata.deletionTimestamp) {
      this.onPodDelete(p);
      return;
    }
    const rs = this.ownerOf(p);
    if (rs) {
      this.expectations.creationObserved(keyOf(rs));
      this.worker.add(keyOf(rs));
      return;
    }
    if (controllerOf(p)) return;
    for (const m of this.matchingSets(p)) this.worker.add(keyOf(m));
  }

  private onPodUpdate(old: Pod, p: Pod): void {
    if (old.metadata.resourceVersion === p.metadata.resourceVersion) return;
    const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(p.metadata.labels ?? {});
    if (p.metadata.deletionTimestamp) {
      // A graceful delete: the pod stops counting now, not when the kubelet finishes.
      this.onPodDelete(p);
      if (labelsChanged) this.onPodDelete(old);
      return;
    }
    const oldRef = controllerOf(old);
    const ref = controllerOf(p);
    if (oldRef && oldRef.uid !== ref?.uid) {
      const oldRs = this.ownerOf(old);
      if (oldRs) this.worker.add(keyOf(oldRs));
    }
    if (ref) {
      const rs = this.ownerOf(p);
      if (!rs) return;
      this.worker.add(keyOf(rs));
      // A pod that just became ready turns available only after minReadySeconds; look again then.
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(p)) this.worker.addAfter(keyOf(rs), minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || oldRef) for (const m of this.matchingSets(p)) this.worker.add(keyOf(m));
  }

  private onPodDelete(p: Pod): void {
    const rs = this.ownerOf(p);
    if (!rs) return;
    this.expectations.deletionObserved(keyOf(rs), podKey(p));
    this.worker.add(keyOf(rs));
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const rs = this.rsInformer.store.getByName(namespace, name);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    const selector = selectorFor(rs.spec?.selector);
    if (!selector) {
      this.worker.log.error({ key }, 'invalid selector');
      return;
    }
    // Pods that are ours or nobody's; claiming decides which to keep. Read off the owner index, as upstream's
    // FilterPodsByOwner: listing the namespace made every sync walk all its pods (at 30,000 pods in one namespace
    // the controller manager spent most of a core on it with nothing to do).
    const { owned, orphans } = ownedAndOrphans(this.podInformer.store, CONTROLLER_UID_INDEX, rs.metadata.uid!, namespace);
    const candidates = [...owned, ...orphans].filter(isPodActive);
    const pods = (await claimObjects(candidates, {
      client: this.client,
      resource: PODS,
      owner: rs,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'ReplicaSet',
      ownerResource: REPLICASETS,
      match: (p) => selects(selector, p.metadata.labels),
    })) as Pod[];

    let manageError: Error | undefined;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      try {
        await this.manageReplicas(key, pods, rs);
      } catch (err) {
        manageError = err as Error;
      }
    }
    const now = Date.now();
    const status = calculateStatus(rs, pods, manageError, now);
    const updated = await this.updateStatus(rs, status);
    const minReady = updated.spec?.minReadySeconds ?? 0;
    const want = updated.spec?.replicas ?? 1;
    if (!manageError && minReady > 0 && (updated.status?.readyReplicas ?? 0) === want && (updated.status?.availableReplicas ?? 0) !== want) {
      const waits = pods.map((p) => msUntilAvailable(p, minReady, now)).filter((d): d is number => d !== undefined && d > 0);
      this.worker.addAfter(key, (waits.length ? Math.min(...waits) : minReady * 1000) + 100);
    }
    if (manageError) throw manageError;
  }

  private async manageReplicas(key: string, pods: Pod[], rs: ReplicaSet): Promise<void> {
    const want = rs.spec?.replicas ?? 1;
    let diff = pods.length - want;
    if (diff < 0) {
      diff = Math.min(-diff, BURST_REPLICAS);
      // Expect all the creations before issuing any: a watch event may arrive before create() returns.
      this.expectations.expectCreations(key, diff);
      const ref = newControllerRef(rs, 'apps/v1', 'ReplicaSet');
      const { successes, error } = await slowStartBatch(diff, 1, () => this.podControl.createPod(rs, podFromTemplate(rs.spec?.template ?? {}, rs, ref)));
      const skipped = diff - successes;
      // Creations that failed or were never attempted will not be observed.
      if (skipped > 0) this.expectations.lower(key, skipped, 0);
      if (error) throw error as Error;
      return;
    }
    if (diff > 0) {
      diff = Math.min(diff, BURST_REPLICAS);
      const victims = podsToDelete(pods, this.relatedPods(rs), diff);
      this.expectations.expectDeletions(key, victims.map(podKey));
      const results = await Promise.allSettled(
        victims.map(async (p) => {
          try {
            await this.podControl.deletePod(rs, p.metadata.namespace!, p.metadata.name!);
          } catch (err) {
            // The delete will not be observed; do not wait for it.
            this.expectations.deletionObserved(key, podKey(p));
            if (!isNotFound(err)) throw err;
          }
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason as Error;
    }
  }

  /** Pods of every ReplicaSet sharing this one's controller (a Deployment's older sets), used to spread deletions. */
  private relatedPods(rs: ReplicaSet): Pod[] {
    const ref = controllerOf(rs);
    const sets = ref ? this.rsInformer.store.byIndex(CONTROLLER_UID_INDEX, ref.uid).filter((s) => s.metadata.namespace === rs.metadata.namespace) : [rs];
    const out: Pod[] = [];
    for (const s of sets) out.push(...this.podInformer.store.byIndex(CONTROLLER_UID_INDEX, s.metadata.uid!));
    return out;
  }

  private async updateStatus(rs: ReplicaSet, status: NonNullable<ReplicaSet['status']>): Promise<ReplicaSet> {
    if (statusUnchanged(rs, status)) return rs;
    let cur = rs;
    for (let attempt = 0; ; attempt++) {
      const body: ReplicaSet = { ...cur, status: { ...status, observedGeneration: cur.metadata.generation } };
      try {
        return await this.client.updateStatus<ReplicaSet>(REPLICASETS, cur.metadata.namespace, body);
      } catch (err) {
        // One retry against a fresh read, as upstream's statusUpdateRetries.
        if (attempt >= 1 || isNotFound(err)) throw err;
        cur = await this.client.get<ReplicaSet>(REPLICASETS, rs.metadata.namespace, rs.metadata.name!);
      }
    }
  }
}

export const replicaSetController: ControllerDescriptor = {
  name: 'replicaset',
  async start(ctx: ControllerContext): Promise<RunningController> {
    const c = new ReplicaSetController(ctx);
    c.start();
    return { stop: () => c.stop() };
  },
};
