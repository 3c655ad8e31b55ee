import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import { splitMetaNamespaceKey } from '../../client/store.js';
import type { KubeObject } from '../../api/types.js';
import { controllerOf } from '../shared/owner-refs.js';
import { DEPLOYMENTS, PODDISRUPTIONBUDGETS, PODS, REPLICASETS, REPLICATIONCONTROLLERS, STATEFULSETS } from '../shared/resources.js';
import { formatSelectorForEvent, selectorFor, selects } from '../shared/selectors.js';
import { KeyWorker, keyOf } from '../shared/worker.js';
import { workersFor } from '../shared/options.js';
import type { Pod } from '../shared/types.js';
import { buildDisruptedPods, countHealthy, expectedAndDesired, needsScale, setCondition, withAllowedCondition } from './status.js';
import { DISRUPTION_ALLOWED, SYNC_FAILED, type PdbStatus, type PodDisruptionBudget } from './types.js';

// Upstream's disruption controller: for every PodDisruptionBudget, count the
// healthy (Ready, not being deleted, not just evicted) pods it selects,
// work out how many must stay healthy, and publish how many disruptions the
// eviction subresource may allow. Percentages and maxUnavailable are taken
// from the scale of the pods' controllers.

type Scaled = KubeObject & { spec?: { replicas?: number } };

export class DisruptionController {
  private readonly worker: KeyWorker;
  private readonly client: RestClient;
  private readonly recorder: EventRecorder;
  private readonly pdbs: Informer<PodDisruptionBudget>;
  private readonly pods: Informer<Pod>;
  private readonly owners: Record<string, Informer<Scaled>>;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.recorder = ctx.recorder('controllermanager');
    this.pdbs = ctx.informers.informerFor<PodDisruptionBudget>(PODDISRUPTIONBUDGETS);
    this.pods = ctx.informers.informerFor<Pod>(PODS);
    this.owners = {
      ReplicaSet: ctx.informers.informerFor<Scaled>(REPLICASETS),
      Deployment: ctx.informers.informerFor<Scaled>(DEPLOYMENTS),
      StatefulSet: ctx.informers.informerFor<Scaled>(STATEFULSETS),
      ReplicationController: ctx.informers.informerFor<Scaled>(REPLICATIONCONTROLLERS),
    };
    this.worker = new KeyWorker({ name: 'disruption-controller', workers: workersFor(ctx, ['disruption'], 1), sync: (k) => this.sync(k) });
  }

  start(): void {
    this.pdbs.addEventHandler({
      onAdd: (p) => this.worker.add(keyOf(p)),
      onUpdate: (_o, p) => this.worker.add(keyOf(p)),
      onDelete: (p) => this.worker.add(keyOf(p)),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.enqueueFor(p),
      onUpdate: (o, p) => {
        if (o.metadata.resourceVersion === p.metadata.resourceVersion) return;
        this.enqueueFor(p);
        if (JSON.stringify(o.metadata.labels) !== JSON.stringify(p.metadata.labels)) this.enqueueFor(o);
      },
      onDelete: (p) => this.enqueueFor(p),
    });
    this.worker.run([this.pdbs, this.pods, ...Object.values(this.owners)]);
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  private enqueueFor(pod: Pod): void {
    for (const pdb of this.pdbs.store.list()) {
      if (pdb.metadata.namespace !== pod.metadata.namespace) continue;
      if (selects(selectorFor(pdb.spec?.selector ?? undefined), pod.metadata.labels)) this.worker.add(keyOf(pdb));
    }
  }

  private async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const cached = this.pdbs.store.getByName(namespace, name);
    if (!cached) return;
    const pdb = structuredClone(cached);
    try {
      await this.trySync(pdb);
    } catch (err) {
      await this.failSafe(pdb, (err as Error).message);
      throw err;
    }
  }

  private podsFor(pdb: PodDisruptionBudget): Pod[] {
    const sel = selectorFor(pdb.spec?.selector ?? undefined);
    return this.pods.store.list().filter((p) => p.metadata.namespace === pdb.metadata.namespace && selects(sel, p.metadata.labels));
  }

  private async trySync(pdb: PodDisruptionBudget): Promise<void> {
    const pods = this.podsFor(pdb);
    if (pods.length === 0) this.recorder.event(pdb, 'Normal', 'NoPods', 'No matching pods found');
    let scale = 0;
    let unmanaged: string[] = [];
    if (needsScale(pdb)) {
      try {
        ({ scale, unmanaged } = this.expectedScale(pods));
      } catch (err) {
        this.recorder.event(pdb, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${(err as Error).message}`);
        throw err;
      }
    }
    const { expected, desired } = expectedAndDesired(pdb, pods.length, scale);
    if (unmanaged.length > 0) {
      this.recorder.event(
        pdb,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${formatSelectorForEvent(pdb.spec?.selector ?? undefined)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    const now = Date.now();
    const { disrupted, recheckMs } = buildDisruptedPods(pods, pdb, now);
    const healthy = countHealthy(pods, disrupted);
    await this.updateStatus(pdb, healthy, desired, expected, disrupted);
    if (recheckMs !== undefined) this.worker.addAfter(keyOf(pdb), Math.max(0, recheckMs - now) + 100);
  }

  /** The summed scale of the controllers of the pods; pods without a controller are listed apart. */
  private expectedScale(pods: Pod[]): { scale: number; unmanaged: string[] } {
    const byController = new Map<string, number>();
    const unmanaged: string[] = [];
    for (const pod of pods) {
      const ref = controllerOf(pod);
      if (!ref) {
        unmanaged.push(pod.metadata.name!);
        continue;
      }
      if (byController.has(ref.uid)) continue;
      const found = this.finder(ref.kind, ref.name, ref.uid, pod.metadata.namespace!);
      if (!found) throw new Error(`found no controllers for pod ${JSON.stringify(pod.metadata.name)}`);
      byController.set(found.uid, found.scale);
    }
    let scale = 0;
    for (const n of byController.values()) scale += n;
    return { scale, unmanaged };
  }

  /** Upstream's finders: a ReplicaSet answers for its Deployment; RCs and StatefulSets for themselves. */
  private finder(kind: string, name: string, uid: string, namespace: string): { uid: string; scale: number } | undefined {
    const inf = this.owners[kind];
    if (!inf) return undefined;
    const obj = inf.store.getByName(namespace, name);
    if (!obj || obj.metadata.uid !== uid) return undefined;
    if (kind === 'ReplicaSet') {
      const dref = controllerOf(obj);
      if (dref?.kind === 'Deployment') {
        const d = this.owners.Deployment!.store.getByName(namespace, dref.name);
        if (d && d.metadata.uid === dref.uid) return { uid: d.metadata.uid!, scale: d.spec?.replicas ?? 1 };
        return undefined;
      }
    }
    return { uid, scale: obj.spec?.replicas ?? 1 };
  }

  private async updateStatus(pdb: PodDisruptionBudget, healthy: number, desired: number, expected: number, disrupted: Record<string, string>): Promise<void> {
    let allowed = healthy - desired;
    if (expected <= 0 || allowed <= 0) allowed = 0;
    const old = pdb.status;
    if (
      old &&
      old.currentHealthy === healthy &&
      old.desiredHealthy === desired &&
      old.expectedPods === expected &&
      old.disruptionsAllowed === allowed &&
      JSON.stringify(old.disruptedPods ?? {}) === JSON.stringify(disrupted) &&
      old.observedGeneration === pdb.metadata.generation &&
      old.conditions?.find((c) => c.type === DISRUPTION_ALLOWED)?.status === (allowed > 0 ? 'True' : 'False') &&
      old.conditions?.find((c) => c.type === DISRUPTION_ALLOWED)?.reason !== SYNC_FAILED
    ) {
      return;
    }
    const status: PdbStatus = {
      currentHealthy: healthy,
      desiredHealthy: desired,
      expectedPods: expected,
      disruptionsAllowed: allowed,
      observedGeneration: pdb.metadata.generation,
      conditions: old?.conditions,
    };
    if (Object.keys(disrupted).length > 0) status.disruptedPods = disrupted;
    status.conditions = withAllowedCondition(status, pdb.metadata.generation);
    await this.client.updateStatus<PodDisruptionBudget>(PODDISRUPTIONBUDGETS, pdb.metadata.namespace, { ...pdb, status });
  }

  /** On any failure no disruption is allowed until a sync succeeds again. */
  private async failSafe(pdb: PodDisruptionBudget, message: string): Promise<void> {
    const status: PdbStatus = { ...(pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 }), disruptionsAllowed: 0 };
    status.observedGeneration = pdb.metadata.generation;
    status.conditions = setCondition(status.conditions, { type: DISRUPTION_ALLOWED, status: 'False', reason: SYNC_FAILED, message, observedGeneration: pdb.metadata.generation });
    await this.client.updateStatus<PodDisruptionBudget>(PODDISRUPTIONBUDGETS, pdb.metadata.namespace, { ...pdb, status }).catch(() => undefined);
  }
}

export const disruptionController: ControllerDescriptor = {
  name: 'disruption',
  async start(ctx: ControllerContext): Promise<RunningController> {
    const c = new DisruptionController(ctx);
    c.start();
    return { stop: () => c.stop() };
  },
};
