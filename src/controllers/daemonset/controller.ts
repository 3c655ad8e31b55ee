import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import { isNotFound } from '../../client/status.js';
import { splitMetaNamespaceKey } from '../../client/store.js';
import { Expectations } from '../shared/expectations.js';
import { PodControl, podFromTemplate, slowStartBatch } from '../shared/pod-control.js';
import { claimObjects } from '../shared/claim.js';
import { controllerOf, newControllerRef, resolveControllerRef } from '../shared/owner-refs.js';
import { isPodAvailable, isPodReady, podKey } from '../shared/pod-utils.js';
import { CONTROLLERREVISIONS, DAEMONSETS, NODES, PODS } from '../shared/resources.js';
import { isEmptySelector, selectorFor, selects } from '../shared/selectors.js';
import { KeyWorker, ensureIndex, keyOf } from '../shared/worker.js';
import { workersFor } from '../shared/options.js';
import { scaledValue } from '../deployment/util.js';
import type { Node, Pod } from '../shared/types.js';
import { addDaemonTolerations, nodeShouldRunDaemonPod, pinToNode, targetNodeName } from './placement.js';
import { REVISION_HASH_LABEL, constructHistory, revisionsToPrune } from './history.js';
import type { ControllerRevision, DaemonSet } from './types.js';

// The DaemonSet controller: one pod per eligible node, created pinned to
// the node by affinity for the scheduler to bind; pods on nodes that stop
// qualifying (or vanish) are deleted; a RollingUpdate replaces old-revision
// pods at most maxUnavailable at a time.

const UID_INDEX = 'controllerUID';
const TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';
const BURST = 250;
const MAX_RETRIES = 15;

export class DaemonSetController {
  private readonly worker: KeyWorker;
  private readonly client: RestClient;
  private readonly recorder: EventRecorder;
  private readonly podControl: PodControl;
  private readonly expectations = new Expectations();
  private readonly dsInformer: Informer<DaemonSet>;
  private readonly podInformer: Informer<Pod>;
  private readonly nodeInformer: Informer<Node>;
  private readonly revInformer: Informer<ControllerRevision>;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.recorder = ctx.recorder('daemonset-controller');
    this.podControl = new PodControl(this.client, this.recorder);
    this.dsInformer = ctx.informers.informerFor<DaemonSet>(DAEMONSETS);
    this.podInformer = ctx.informers.informerFor<Pod>(PODS);
    this.nodeInformer = ctx.informers.informerFor<Node>(NODES);
    this.revInformer = ctx.informers.informerFor<ControllerRevision>(CONTROLLERREVISIONS);
    ensureIndex(this.podInformer, UID_INDEX, (p) => [controllerOf(p)?.uid ?? '']);
    ensureIndex(this.revInformer, UID_INDEX, (r) => [controllerOf(r)?.uid ?? '']);
    this.worker = new KeyWorker({ name: 'daemonset-controller', workers: workersFor(ctx, ['daemonset', 'daemonsets'], 2), sync: (k) => this.sync(k), maxRetries: MAX_RETRIES });
  }

  start(): void {
    this.dsInformer.addEventHandler({
      onAdd: (ds) => this.worker.add(keyOf(ds)),
      onUpdate: (_o, ds) => this.worker.add(keyOf(ds)),
      onDelete: (ds) => {
        this.expectations.delete(keyOf(ds));
        this.worker.add(keyOf(ds));
      },
    });
    const byPod = (p: Pod, created: boolean, deleted: boolean): void => {
      const ds = resolveControllerRef(controllerOf(p), 'DaemonSet', (n) => this.dsInformer.store.getByName(p.metadata.namespace, n));
      if (!ds) return;
      if (created) this.expectations.creationObserved(keyOf(ds));
      if (deleted) this.expectations.deletionObserved(keyOf(ds), podKey(p));
      this.worker.add(keyOf(ds));
    };
    this.podInformer.addEventHandler({
      onAdd: (p) => byPod(p, !p.metadata.deletionTimestamp, false),
      onUpdate: (o, p) => {
        if (o.metadata.resourceVersion !== p.metadata.resourceVersion) byPod(p, false, !!p.metadata.deletionTimestamp && !o.metadata.deletionTimestamp);
      },
      onDelete: (p) => byPod(p, false, true),
    });
    // Any node change may change where daemons belong; every DaemonSet takes a look.
    const all = (): void => {
      for (const ds of this.dsInformer.store.list()) this.worker.add(keyOf(ds));
    };
    this.nodeInformer.addEventHandler({
      onAdd: all,
      onUpdate: (o, n) => {
        if (JSON.stringify([o.metadata.labels, o.spec?.taints, o.spec?.unschedulable]) !== JSON.stringify([n.metadata.labels, n.spec?.taints, n.spec?.unschedulable])) all();
      },
      onDelete: all,
    });
    this.worker.run([this.dsInformer, this.podInformer, this.nodeInformer, this.revInformer]);
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const ds = this.dsInformer.store.getByName(namespace, name);
    if (!ds) {
      this.expectations.delete(key);
      return;
    }
    if (isEmptySelector(ds.spec?.selector)) {
      this.recorder.event(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    const selector = selectorFor(ds.spec?.selector);
    const nodes = this.nodeInformer.store.list();
    const candidates = this.podInformer.store.byNamespace(namespace).filter((p) => !controllerOf(p) || controllerOf(p)!.uid === ds.metadata.uid);
    const pods = (await claimObjects(candidates, {
      client: this.client,
      resource: PODS,
      owner: ds,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'DaemonSet',
      ownerResource: DAEMONSETS,
      match: (p) => selects(selector, p.metadata.labels),
    })) as Pod[];
    const byNode = new Map<string, Pod[]>();
    for (const p of pods) {
      const n = targetNodeName(p.spec) ?? '';
      byNode.set(n, [...(byNode.get(n) ?? []), p]);
    }
    if (ds.metadata.deletionTimestamp) {
      await this.updateStatus(ds, nodes, byNode, undefined);
      return;
    }
    const revisions = this.revInformer.store.byIndex(UID_INDEX, ds.metadata.uid!).filter((r) => r.metadata.namespace === namespace);
    const { current, old } = await constructHistory(this.client, ds, revisions);
    const hash = current.metadata.labels?.[REVISION_HASH_LABEL] ?? '';
    if (this.expectations.satisfied(key)) {
      await this.manage(key, ds, nodes, byNode, hash);
      if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') await this.rollingUpdate(key, ds, nodes, byNode, hash);
    }
    const live = new Set(pods.map((p) => p.metadata.labels?.[REVISION_HASH_LABEL] ?? ''));
    for (const r of revisionsToPrune(ds, old, live)) await this.client.delete(CONTROLLERREVISIONS, namespace, r.metadata.name!).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
    await this.updateStatus(ds, nodes, byNode, hash);
  }

  /** Creates missing daemon pods and deletes misplaced, duplicate and failed ones. */
  private async manage(key: string, ds: DaemonSet, nodes: Node[], byNode: Map<string, Pod[]>, hash: string): Promise<void> {
    const toCreate: string[] = [];
    const toDelete: Pod[] = [];
    const template = ds.spec?.template?.spec ?? {};
    const known = new Set<string>();
    for (const node of nodes) {
      known.add(node.metadata.name!);
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, template);
      const here = (byNode.get(node.metadata.name!) ?? []).filter((p) => !p.metadata.deletionTimestamp);
      if (shouldRun && here.length === 0) {
        toCreate.push(node.metadata.name!);
      } else if (shouldContinueRunning) {
        const alive: Pod[] = [];
        for (const p of here) {
          if (p.status?.phase === 'Failed') {
            this.recorder.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${p.metadata.namespace}/${p.metadata.name} on node ${node.metadata.name}, will try to kill it`);
            toDelete.push(p);
          } else {
            alive.push(p);
          }
        }
        // More than one: keep the oldest (the first to be running).
        if (alive.length > 1) {
          alive.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
          toDelete.push(...alive.slice(1));
        }
      } else {
        toDelete.push(...here);
      }
    }
    // Unscheduled pods meant for nodes that no longer exist.
    for (const [n, ps] of byNode) {
      if (known.has(n)) continue;
      for (const p of ps) if (!p.spec?.nodeName && !p.metadata.deletionTimestamp) toDelete.push(p);
    }
    await this.createAndDelete(key, ds, toCreate.slice(0, BURST), toDelete.slice(0, BURST), hash);
  }

  private async createAndDelete(key: string, ds: DaemonSet, nodeNames: string[], victims: Pod[], hash: string): Promise<void> {
    if (nodeNames.length === 0 && victims.length === 0) return;
    this.expectations.expect(key, nodeNames.length, victims.map(podKey));
    const ref = newControllerRef(ds, 'apps/v1', 'DaemonSet');
    const labels: Record<string, string> = { [REVISION_HASH_LABEL]: hash };
    const generation = ds.metadata.annotations?.[TEMPLATE_GENERATION];
    if (generation) labels['pod-template-generation'] = generation;
    const queue = [...nodeNames];
    const { successes, error } = await slowStartBatch(nodeNames.length, 1, () => {
      const node = queue.shift()!;
      const pod = podFromTemplate(ds.spec?.template ?? {}, ds, ref, { labels });
      addDaemonTolerations(pod.spec!);
      pinToNode(pod.spec!, node);
      return this.podControl.createPod(ds, pod);
    });
    if (nodeNames.length - successes > 0) this.expectations.lower(key, nodeNames.length - successes, 0);
    const results = await Promise.allSettled(
      victims.map(async (p) => {
        try {
          await this.podControl.deletePod(ds, p.metadata.namespace!, p.metadata.name!);
        } catch (err) {
          this.expectations.deletionObserved(key, podKey(p));
          if (!isNotFound(err)) throw err;
        }
      }),
    );
    if (error) throw error;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason as Error;
  }

  /** Deletes old-revision pods, unavailable ones first, keeping at most maxUnavailable nodes without an available pod. */
  private async rollingUpdate(key: string, ds: DaemonSet, nodes: Node[], byNode: Map<string, Pod[]>, hash: string): Promise<void> {
    if (!this.expectations.satisfied(key)) return;
    const now = Date.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const desired = nodes.filter((n) => nodeShouldRunDaemonPod(n, ds.spec?.template?.spec ?? {}).shouldRun);
    const maxUnavailable = Math.max(0, scaledValue(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, desired.length, true));
    let unavailable = 0;
    const oldAvailable: Pod[] = [];
    const oldUnavailable: Pod[] = [];
    for (const n of desired) {
      const ps = (byNode.get(n.metadata.name!) ?? []).filter((p) => !p.metadata.deletionTimestamp);
      const cur = ps.find((p) => p.metadata.labels?.[REVISION_HASH_LABEL] === hash);
      const old = ps.find((p) => p.metadata.labels?.[REVISION_HASH_LABEL] !== hash);
      const availableHere = ps.some((p) => isPodAvailable(p, minReady, now));
      if (!availableHere) unavailable++;
      if (cur || !old) continue;
      if (isPodAvailable(old, minReady, now)) oldAvailable.push(old);
      else oldUnavailable.push(old);
    }
    // Old pods that are not available cost nothing to replace.
    const victims = [...oldUnavailable];
    for (const p of oldAvailable) {
      if (unavailable >= maxUnavailable) break;
      victims.push(p);
      unavailable++;
    }
    await this.createAndDelete(key, ds, [], victims, hash);
  }

  private async updateStatus(ds: DaemonSet, nodes: Node[], byNode: Map<string, Pod[]>, hash: string | undefined): Promise<void> {
    const now = Date.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    let desired = 0;
    let scheduled = 0;
    let misscheduled = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    for (const n of nodes) {
      const { shouldRun } = nodeShouldRunDaemonPod(n, ds.spec?.template?.spec ?? {});
      const ps = (byNode.get(n.metadata.name!) ?? []).filter((p) => !p.metadata.deletionTimestamp);
      if (shouldRun) {
        desired++;
        if (ps.length > 0) {
          scheduled++;
          const p = ps[0]!;
          if (isPodReady(p)) {
            ready++;
            if (isPodAvailable(p, minReady, now)) available++;
          }
          if (hash !== undefined && p.metadata.labels?.[REVISION_HASH_LABEL] === hash) updated++;
        }
      } else if (ps.length > 0) {
        misscheduled++;
      }
    }
    const status: NonNullable<DaemonSet['status']> = {
      currentNumberScheduled: scheduled,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: desired,
      numberReady: ready,
      observedGeneration: ds.metadata.generation,
    };
    if (updated) status.updatedNumberScheduled = updated;
    if (available) status.numberAvailable = available;
    if (desired - available) status.numberUnavailable = desired - available;
    if (ds.status?.collisionCount !== undefined) status.collisionCount = ds.status.collisionCount;
    if (ds.status?.conditions) status.conditions = ds.status.conditions;
    if (JSON.stringify(status) === JSON.stringify(ds.status ?? {})) return;
    await this.client.updateStatus<DaemonSet>(DAEMONSETS, ds.metadata.namespace, { ...ds, status });
    // A pod that became ready turns available after minReadySeconds: look again then.
    if (minReady > 0 && ready > available) this.worker.addAfter(keyOf(ds), minReady * 1000 + 500);
  }
}

export const daemonSetController: ControllerDescriptor = {
  name: 'daemonset',
  async start(ctx: ControllerContext): Promise<RunningController> {
    const c = new DaemonSetController(ctx);
    c.start();
    return { stop: () => c.stop() };
  },
};
