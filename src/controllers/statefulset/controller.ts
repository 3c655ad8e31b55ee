import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import { isConflict, isNotFound } from '../../client/status.js';
import { splitMetaNamespaceKey } from '../../client/store.js';
import { claimObjects } from '../shared/claim.js';
import { controllerOf, resolveControllerRef } from '../shared/owner-refs.js';
import { isPodReady } from '../shared/pod-utils.js';
import { CONTROLLERREVISIONS, PODS } from '../shared/resources.js';
import { selectorFor, selects } from '../shared/selectors.js';
import { KeyWorker, ensureIndex, keyOf } from '../shared/worker.js';
import { workersFor } from '../shared/options.js';
import type { ControllerRevision } from '../shared/history.js';
import type { Pod } from '../shared/types.js';
import { resourceFor } from '../../api/scheme/resources.js';
import { ClaimControl, PVCS } from './claims.js';
import { updateStatefulSet, type PendingCreates } from './control.js';
import { isMemberOf, replicasOf } from './identity.js';
import { StatefulPodControl } from './pod-control.js';
import { setRevisions, truncateHistory } from './revisions.js';
import type { PersistentVolumeClaim, StatefulSet, StatefulSetStatus } from './types.js';

// The StatefulSet controller (upstream's --controllers name "statefulset"):
// event handlers only queue the owning set; a sync claims the set's pods
// and revisions, runs one pass of the ordered control loop (control.ts),
// writes status and trims history.

const STATEFULSETS = resourceFor('apps', 'v1', 'statefulsets')!;
const UID_INDEX = 'controllerUID';
/** A creation not seen by the informer after this long is forgotten (a lost watch event), as expectations time out. */
const PENDING_TTL_MS = 60_000;

class Pending implements PendingCreates {
  private readonly items = new Map<string, number>();
  has(namespace: string, name: string): boolean {
    const at = this.items.get(`${namespace}/${name}`);
    if (at === undefined) return false;
    if (Date.now() - at > PENDING_TTL_MS) {
      this.items.delete(`${namespace}/${name}`);
      return false;
    }
    return true;
  }
  add(namespace: string, name: string): void {
    this.items.set(`${namespace}/${name}`, Date.now());
  }
  forget(namespace: string, name: string): void {
    this.items.delete(`${namespace}/${name}`);
  }
  observed(namespace: string, name: string): void {
    this.items.delete(`${namespace}/${name}`);
  }
}

export class StatefulSetController {
  private readonly worker: KeyWorker;
  private readonly client: RestClient;
  private readonly recorder: EventRecorder;
  private readonly pods: StatefulPodControl;
  private readonly pending = new Pending();
  private readonly setInformer: Informer<StatefulSet>;
  private readonly podInformer: Informer<Pod>;
  private readonly revInformer: Informer<ControllerRevision>;
  private readonly pvcInformer: Informer<PersistentVolumeClaim>;
  /** Our last status write per key, with the version it replaced: read-your-writes until the cache catches up. */
  private readonly written = new Map<string, { replacedVersion: string; object: StatefulSet }>();

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.recorder = ctx.recorder('statefulset-controller');
    this.setInformer = ctx.informers.informerFor<StatefulSet>(STATEFULSETS);
    this.podInformer = ctx.informers.informerFor<Pod>(PODS);
    this.revInformer = ctx.informers.informerFor<ControllerRevision>(CONTROLLERREVISIONS);
    this.pvcInformer = ctx.informers.informerFor<PersistentVolumeClaim>(PVCS);
    ensureIndex(this.podInformer, UID_INDEX, (p) => [controllerOf(p)?.uid ?? '']);
    ensureIndex(this.revInformer, UID_INDEX, (r) => [controllerOf(r)?.uid ?? '']);
    this.pods = new StatefulPodControl(this.client, this.recorder, new ClaimControl(this.client, this.recorder, this.pvcInformer));
    this.worker = new KeyWorker({ name: 'statefulset-controller', workers: workersFor(ctx, ['statefulset', 'statefulsets'], 5), sync: (k) => this.sync(k) });
  }

  start(): void {
    this.setInformer.addEventHandler({
      onAdd: (s) => this.worker.add(keyOf(s)),
      onUpdate: (_o, s) => this.worker.add(keyOf(s)),
      onDelete: (s) => this.worker.add(keyOf(s)),
    });
    this.podInformer.addEventHandler({
      onAdd: (p) => {
        this.pending.observed(p.metadata.namespace!, p.metadata.name!);
        this.enqueueFor(p);
      },
      onUpdate: (o, p) => {
        if (o.metadata.resourceVersion === p.metadata.resourceVersion) return;
        const oldSet = this.ownerOf(o);
        const set = this.enqueueFor(p);
        if (oldSet && oldSet !== set) this.worker.add(keyOf(oldSet));
        // Readiness turns into availability after minReadySeconds: look again then.
        const minReady = set?.spec?.minReadySeconds ?? 0;
        if (set && minReady > 0 && !isPodReady(o) && isPodReady(p)) this.worker.addAfter(keyOf(set), minReady * 1000 + 1000);
      },
      onDelete: (p) => this.enqueueFor(p),
    });
    // A claim that went away may unblock a pod waiting for its stale claim to be collected.
    this.pvcInformer.addEventHandler({
      onDelete: (c) => {
        for (const s of this.setInformer.store.byNamespace(c.metadata.namespace ?? '')) if ((s.spec?.volumeClaimTemplates ?? []).length) this.worker.add(keyOf(s));
      },
    });
    this.worker.run([this.setInformer, this.podInformer, this.revInformer, this.pvcInformer]);
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  private ownerOf(p: Pod): StatefulSet | undefined {
    return resolveControllerRef(controllerOf(p), 'StatefulSet', (n) => this.setInformer.store.getByName(p.metadata.namespace, n));
  }

  /** Queues the owner, or for an orphan every set whose selector matches it (they may adopt it). */
  private enqueueFor(p: Pod): StatefulSet | undefined {
    const set = this.ownerOf(p);
    if (set) {
      this.worker.add(keyOf(set));
      return set;
    }
    if (controllerOf(p)) return undefined;
    for (const s of this.setInformer.store.byNamespace(p.metadata.namespace ?? '')) {
      const sel = selectorFor(s.spec?.selector);
      if (sel && selects(sel, p.metadata.labels)) this.worker.add(keyOf(s));
    }
    return undefined;
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    let set = this.setInformer.store.getByName(namespace, name);
    if (!set) {
      this.written.delete(key);
      return;
    }
    // Pod events arrive faster than our own status write comes back through the
    // watch: a sync on the older copy would compare against a stale status and
    // write with a stale resourceVersion (a conflict, a GET and a second PUT).
    const mine = this.written.get(key);
    if (mine && set.metadata.resourceVersion === mine.replacedVersion) set = mine.object;
    else this.written.delete(key);
    const selector = selectorFor(set.spec?.selector);
    if (!selector) {
      this.worker.log.error({ key }, 'error converting StatefulSet selector');
      return;
    }
    const claim = { client: this.client, owner: set, ownerApiVersion: 'apps/v1', ownerKind: 'StatefulSet', ownerResource: STATEFULSETS };
    // Orphaned revisions that match are adopted (never released), as upstream's adoptOrphanRevisions.
    const revCandidates = this.revInformer.store.byNamespace(namespace).filter((r) => !controllerOf(r) || controllerOf(r)!.uid === set.metadata.uid);
    const revisions = (await claimObjects(revCandidates, { ...claim, resource: CONTROLLERREVISIONS, match: (r) => !controllerOf(r) ? selects(selector, r.metadata.labels) : true })) as ControllerRevision[];
    const podCandidates = this.podInformer.store.byNamespace(namespace).filter((p) => !controllerOf(p) || controllerOf(p)!.uid === set.metadata.uid);
    const pods = (await claimObjects(podCandidates, { ...claim, resource: PODS, match: (p) => selects(selector, p.metadata.labels) && isMemberOf(set, p as Pod) })) as Pod[];

    const { current, update, collisionCount } = await setRevisions(this.client, set, revisions);
    let status: StatefulSetStatus | undefined;
    let failure: unknown;
    try {
      status = await updateStatefulSet({ pods: this.pods, recorder: this.recorder, log: this.worker.log, pending: this.pending, now: Date.now }, set, current, update, collisionCount, pods);
    } catch (err) {
      failure = err;
    }
    if (status) await this.updateStatus(set, status);
    if (failure) throw failure;
    await truncateHistory(this.client, set, pods, [...revisions.filter((r) => r.metadata.name !== update.metadata.name)], status?.currentRevision ?? current.metadata.name!, update.metadata.name!);
    const minReady = set.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && status && status.availableReplicas !== replicasOf(set)) this.worker.addAfter(key, minReady * 1000);
  }

  /** Completes a finished rolling update and writes status if anything changed (upstream's updateStatefulSetStatus). */
  private async updateStatus(set: StatefulSet, status: StatefulSetStatus): Promise<void> {
    if (set.spec?.updateStrategy?.type !== 'OnDelete' && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
      status.currentReplicas = status.updatedReplicas;
      status.currentRevision = status.updateRevision;
    }
    const old = set.status;
    const same =
      (status.observedGeneration ?? 0) <= (old?.observedGeneration ?? 0) &&
      status.replicas === (old?.replicas ?? 0) &&
      (status.currentReplicas ?? 0) === (old?.currentReplicas ?? 0) &&
      (status.readyReplicas ?? 0) === (old?.readyReplicas ?? 0) &&
      (status.updatedReplicas ?? 0) === (old?.updatedReplicas ?? 0) &&
      status.currentRevision === old?.currentRevision &&
      (status.availableReplicas ?? 0) === (old?.availableReplicas ?? 0) &&
      status.updateRevision === old?.updateRevision;
    if (same) return;
    let cur = set;
    for (let attempt = 0; ; attempt++) {
      const body: StatefulSet = { ...cur, status: { ...status, ...(cur.status?.conditions ? { conditions: cur.status.conditions } : {}) } };
      try {
        const updated = await this.client.updateStatus<StatefulSet>(STATEFULSETS, cur.metadata.namespace, body);
        this.written.set(keyOf(set), { replacedVersion: cur.metadata.resourceVersion ?? '', object: updated });
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= 4) {
          if (isNotFound(err)) return;
          throw err;
        }
        cur = await this.client.get<StatefulSet>(STATEFULSETS, set.metadata.namespace, set.metadata.name!);
      }
    }
  }
}

export const statefulSetController: ControllerDescriptor = {
  name: 'statefulset',
  async start(ctx: ControllerContext): Promise<RunningController> {
    const c = new StatefulSetController(ctx);
    c.start();
    return { stop: () => c.stop() };
  },
};
