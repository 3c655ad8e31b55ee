import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import { splitMetaNamespaceKey } from '../../client/store.js';
import { claimObjects } from '../shared/claim.js';
import { controllerOf, resolveControllerRef } from '../shared/owner-refs.js';
import { DEPLOYMENTS, PODS, REPLICASETS } from '../shared/resources.js';
import { isEmptySelector, selectorFor, selects } from '../shared/selectors.js';
import { KeyWorker, ensureIndex, keyOf } from '../shared/worker.js';
import { workersFor } from '../shared/options.js';
import type { Deployment, Pod, ReplicaSet } from '../shared/types.js';
import type { DeploymentSyncContext } from './context.js';
import { updateDeploymentStatus } from './replicasets.js';
import { syncDeploymentStatus } from './status.js';
import { getAllReplicaSetsAndSyncRevision } from './replicasets.js';
import { isScalingEvent, syncScaleOnly } from './scale.js';
import { rolloutRolling } from './rolling.js';
import { rolloutRecreate } from './recreate.js';
import { PAUSED, RESUMED, TIMED_OUT, getCondition, hasProgressDeadline, newCondition, setCondition } from './util.js';

// The Deployment controller: owns ReplicaSets, one per pod template, and
// moves replicas from the old ones to the new one by the deployment's
// strategy. Every sync decides one step from the cached sets and writes the
// resulting status, so `kubectl rollout status` can follow along.

const CONTROLLER_UID_INDEX = 'controllerUID';
/** Upstream drops a deployment from the queue after this many failed retries (until its next event). */
const MAX_RETRIES = 15;

export class DeploymentController {
  private readonly worker: KeyWorker;
  private readonly client: RestClient;
  private readonly recorder: EventRecorder;
  private readonly dInformer: Informer<Deployment>;
  private readonly rsInformer: Informer<ReplicaSet>;
  private readonly podInformer: Informer<Pod>;
  private readonly syncCtx: DeploymentSyncContext;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.recorder = ctx.recorder('deployment-controller');
    this.dInformer = ctx.informers.informerFor<Deployment>(DEPLOYMENTS);
    this.rsInformer = ctx.informers.informerFor<ReplicaSet>(REPLICASETS);
    this.podInformer = ctx.informers.informerFor<Pod>(PODS);
    ensureIndex(this.podInformer, CONTROLLER_UID_INDEX, (p) => [controllerOf(p)?.uid ?? '']);
    ensureIndex(this.rsInformer, CONTROLLER_UID_INDEX, (rs) => [controllerOf(rs)?.uid ?? '']);
    this.worker = new KeyWorker({ name: 'deployment-controller', workers: workersFor(ctx, ['deployment', 'deployments'], 5), sync: (k) => this.sync(k), maxRetries: MAX_RETRIES });
    this.syncCtx = {
      client: this.client,
      recorder: this.recorder,
      now: () => Date.now(),
      enqueueAfter: (d, ms) => this.worker.addAfter(keyOf(d), ms),
    };
  }

  start(): void {
    this.dInformer.addEventHandler({
      onAdd: (d) => this.worker.add(keyOf(d)),
      onUpdate: (_o, d) => this.worker.add(keyOf(d)),
      onDelete: (d) => this.worker.add(keyOf(d)),
    });
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.onReplicaSet(undefined, rs),
      onUpdate: (o, rs) => this.onReplicaSet(o, rs),
      onDelete: (rs) => {
        const d = this.ownerOf(rs);
        if (d) this.worker.add(keyOf(d));
      },
    });
    this.podInformer.addEventHandler({
      // Recreate waits for the old pods to be gone; their deletion is the signal to go on.
      onDelete: (p) => {
        const rsRef = controllerOf(p);
        if (rsRef?.kind !== 'ReplicaSet') return;
        const rs = this.rsInformer.store.getByName(p.metadata.namespace, rsRef.name);
        if (!rs || rs.metadata.uid !== rsRef.uid) return;
        const d = this.ownerOf(rs);
        if (d && d.spec?.strategy?.type === 'Recreate') this.worker.add(keyOf(d));
      },
    });
    this.worker.run([this.dInformer, this.rsInformer, this.podInformer]);
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  private ownerOf(rs: ReplicaSet): Deployment | undefined {
    return resolveControllerRef(controllerOf(rs), 'Deployment', (n) => this.dInformer.store.getByName(rs.metadata.namespace, n));
  }

  private onReplicaSet(old: ReplicaSet | undefined, rs: ReplicaSet): void {
    if (old && old.metadata.resourceVersion === rs.metadata.resourceVersion) return;
    const oldRef = old && controllerOf(old);
    const ref = controllerOf(rs);
    if (old && oldRef && oldRef.uid !== ref?.uid) {
      const prev = this.ownerOf(old);
      if (prev) this.worker.add(keyOf(prev));
    }
    if (ref) {
      const d = this.ownerOf(rs);
      if (d) this.worker.add(keyOf(d));
      return;
    }
    // An orphan: every deployment that selects it may adopt it.
    const labelsChanged = !old || JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(rs.metadata.labels ?? {});
    if (!labelsChanged && !oldRef) return;
    for (const d of this.dInformer.store.byNamespace(rs.metadata.namespace ?? '')) {
      if (isEmptySelector(d.spec?.selector)) continue;
      if (selects(selectorFor(d.spec?.selector), rs.metadata.labels)) this.worker.add(keyOf(d));
    }
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const cached = this.dInformer.store.getByName(namespace, name);
    if (!cached) return;
    const d = structuredClone(cached);
    const c = this.syncCtx;

    if (isEmptySelector(d.spec?.selector)) {
      this.recorder.event(d, 'Warning', 'SelectorRequired', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.metadata.generation ?? 0) > (d.status?.observedGeneration ?? 0)) {
        d.status = { ...(d.status ?? {}), observedGeneration: d.metadata.generation };
        await updateDeploymentStatus(c, d);
      }
      return;
    }
    const sets = await this.replicaSetsFor(d);
    if (d.metadata.deletionTimestamp) {
      const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(c, d, sets, false);
      await syncDeploymentStatus(c, [...oldRSs, newRS], newRS, d);
      return;
    }
    await this.checkPausedConditions(d);
    if (d.spec?.paused) {
      await syncScaleOnly(c, d, sets);
      return;
    }
    if (await isScalingEvent(c, d, sets)) {
      await syncScaleOnly(c, d, sets);
      return;
    }
    if (d.spec?.strategy?.type === 'Recreate') {
      await rolloutRecreate(c, d, sets, this.podsBySet(d, sets));
      return;
    }
    await rolloutRolling(c, d, sets);
  }

  /** The deployment's sets after adopting matching orphans and releasing sets that no longer match. */
  private async replicaSetsFor(d: Deployment): Promise<ReplicaSet[]> {
    const selector = selectorFor(d.spec?.selector);
    const candidates = this.rsInformer.store.byNamespace(d.metadata.namespace ?? '').filter((rs) => !controllerOf(rs) || controllerOf(rs)!.uid === d.metadata.uid);
    return (await claimObjects(candidates, {
      client: this.client,
      resource: REPLICASETS,
      owner: d,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'Deployment',
      ownerResource: DEPLOYMENTS,
      match: (rs) => selects(selector, rs.metadata.labels),
    })) as ReplicaSet[];
  }

  private podsBySet(d: Deployment, sets: ReplicaSet[]): Map<string, Pod[]> {
    const selector = selectorFor(d.spec?.selector);
    const out = new Map<string, Pod[]>();
    for (const rs of sets) {
      out.set(
        rs.metadata.uid!,
        this.podInformer.store.byIndex(CONTROLLER_UID_INDEX, rs.metadata.uid!).filter((p) => p.metadata.namespace === d.metadata.namespace && selects(selector, p.metadata.labels)),
      );
    }
    return out;
  }

  /** Pausing and resuming show in Progressing, so the deadline does not run while paused. */
  private async checkPausedConditions(d: Deployment): Promise<void> {
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition(d.status, 'Progressing');
    if (cond?.reason === TIMED_OUT) return;
    const pausedCond = cond?.reason === PAUSED;
    d.status ??= {};
    if (d.spec?.paused && !pausedCond) {
      setCondition(d.status, newCondition('Progressing', 'Unknown', PAUSED, 'Deployment is paused'));
    } else if (!d.spec?.paused && pausedCond) {
      setCondition(d.status, newCondition('Progressing', 'Unknown', RESUMED, 'Deployment is resumed'));
    } else {
      return;
    }
    await updateDeploymentStatus(this.syncCtx, d);
  }
}

export const deploymentController: ControllerDescriptor = {
  name: 'deployment',
  async start(ctx: ControllerContext): Promise<RunningController> {
    const c = new DeploymentController(ctx);
    c.start();
    return { stop: () => c.stop() };
  },
};
