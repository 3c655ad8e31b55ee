import { nowTimestamp } from '../../api/types.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import { isNotFound } from '../../client/status.js';
import { splitMetaNamespaceKey } from '../../client/store.js';
import { logger } from '../../util/log.js';
import { KeyWorker, ensureIndex, keyOf } from '../shared/worker.js';
import { NODES, PODS } from '../core-resources.js';
import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import { PODS_BY_NODE, podsByNodeIndex } from './controller.js';
import { matchingTolerations, minTolerationMs, noExecuteTaints } from './taints.js';
import { TimedWorkers } from './timed-workers.js';
import { getCondition, type Node, type Pod, type Taint } from './types.js';

// Upstream's taint-eviction-controller: pods on a node with NoExecute taints
// they do not tolerate are deleted at once; pods tolerating them for a
// limited time (tolerationSeconds) are deleted when the shortest toleration
// runs out, counted from when this controller first saw the taint; removing
// the taint in time cancels the deletion. Before deleting, the pod gets the
// DisruptionTarget condition so its owner can tell why it went.

const log = logger('taint-eviction-controller');
const DELETE_RETRIES = 5;

/** When (ms from now) to evict a pod given the node's NoExecute taints: undefined = never, 0 = now. */
export function evictionDelayMs(taints: Taint[], pod: Pod): number | undefined {
  if (taints.length === 0) return undefined;
  const { all, used } = matchingTolerations(taints, pod.spec?.tolerations);
  if (!all) return 0;
  const min = minTolerationMs(used);
  return min < 0 ? undefined : min;
}

export class TaintEvictionController {
  private readonly timers: TimedWorkers;
  private readonly nodeWorker: KeyWorker;
  private readonly podWorker: KeyWorker;
  private readonly regs: { remove(): void }[] = [];

  constructor(
    private readonly client: RestClient,
    private readonly recorder: EventRecorder,
    private readonly nodes: Informer<Node>,
    private readonly pods: Informer<Pod>,
  ) {
    ensureIndex(pods, PODS_BY_NODE, podsByNodeIndex);
    this.timers = new TimedWorkers((key) => this.deletePod(key));
    this.nodeWorker = new KeyWorker({ name: 'taint-eviction-controller', workers: 8, sync: (name) => this.syncNode(name) });
    this.podWorker = new KeyWorker({ name: 'taint-eviction-controller', workers: 8, sync: (key) => this.syncPod(key) });
  }

  start(): void {
    this.regs.push(
      this.nodes.addEventHandler({
        onAdd: (n) => this.nodeWorker.add(n.metadata.name!),
        onUpdate: (o, n) => {
          if (JSON.stringify(noExecuteTaints(o)) !== JSON.stringify(noExecuteTaints(n))) this.nodeWorker.add(n.metadata.name!);
        },
        onDelete: (n) => this.nodeWorker.add(n.metadata.name!),
      }),
      this.pods.addEventHandler({
        onAdd: (p) => this.podWorker.add(keyOf(p)),
        onUpdate: (o, p) => {
          // Only what decides eviction: where the pod runs and what it tolerates.
          if (o.spec?.nodeName !== p.spec?.nodeName || JSON.stringify(o.spec?.tolerations) !== JSON.stringify(p.spec?.tolerations)) this.podWorker.add(keyOf(p));
        },
        onDelete: (p) => this.podWorker.add(keyOf(p)),
      }),
    );
    this.nodeWorker.run([this.nodes, this.pods]);
    this.podWorker.run([this.nodes, this.pods]);
  }

  async stop(): Promise<void> {
    for (const r of this.regs) r.remove();
    this.timers.cancelAll();
    await Promise.all([this.nodeWorker.stop(), this.podWorker.stop()]);
    await this.timers.drain();
  }

  private cancelWithEvent(key: string): void {
    if (!this.timers.cancel(key)) return;
    const { namespace, name } = splitMetaNamespaceKey(key);
    this.recorder.event({ apiVersion: 'v1', kind: 'Pod', namespace, name }, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
  }

  private processPodOnNode(key: string, pod: Pod, taints: Taint[]): void {
    // A pod already being deleted needs no second deletion.
    if (pod.metadata.deletionTimestamp) return;
    const delay = evictionDelayMs(taints, pod);
    if (delay === undefined) {
      this.cancelWithEvent(key);
      return;
    }
    const now = Date.now();
    if (delay === 0) {
      log.info({ pod: key }, 'Not all taints are tolerated after update for pod on node');
      this.cancelWithEvent(key);
      this.timers.add(key, now, now);
      return;
    }
    // An eviction already scheduled stands, counted from when it was first decided (as upstream's CreatedAt).
    if (this.timers.get(key)) return;
    this.timers.add(key, now, now + delay);
  }

  private async syncNode(name: string): Promise<void> {
    const node = this.nodes.store.get(name);
    const taints = noExecuteTaints(node);
    for (const pod of this.pods.store.byIndex(PODS_BY_NODE, name)) {
      const key = keyOf(pod);
      if (taints.length === 0) this.cancelWithEvent(key);
      else this.processPodOnNode(key, pod, taints);
    }
  }

  private async syncPod(key: string): Promise<void> {
    const pod = this.pods.store.get(key);
    if (!pod) {
      this.cancelWithEvent(key);
      return;
    }
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const taints = noExecuteTaints(this.nodes.store.get(nodeName));
    // No taints now: any earlier eviction was cancelled when the taints went.
    if (taints.length === 0) return;
    this.processPodOnNode(key, pod, taints);
  }

  private async deletePod(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    log.info({ pod: key }, 'Deleting pod');
    this.recorder.event({ apiVersion: 'v1', kind: 'Pod', namespace, name }, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    let last: unknown;
    for (let i = 0; i < DELETE_RETRIES; i++) {
      try {
        await this.addConditionAndDelete(namespace, name);
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        last = err;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    log.warn({ pod: key, err: (last as Error).message }, 'failed to delete pod');
  }

  private async addConditionAndDelete(namespace: string, name: string): Promise<void> {
    const pod = await this.client.get<Pod>(PODS, namespace, name);
    const existing = getCondition(pod.status?.conditions, 'DisruptionTarget');
    if (existing?.status !== 'True' || existing.reason !== 'DeletionByTaintManager') {
      const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
      conditions.push({ type: 'DisruptionTarget', status: 'True', lastTransitionTime: nowTimestamp(), reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' });
      await this.client.patch(PODS, namespace, name, 'merge', { metadata: { uid: pod.metadata.uid }, status: { conditions } }, { subresource: 'status' });
    }
    await this.client.delete(PODS, namespace, name, { preconditions: { uid: pod.metadata.uid } });
  }
}

export async function startTaintEvictionController(ctx: ControllerContext): Promise<RunningController> {
  const c = new TaintEvictionController(ctx.client, ctx.recorder('taint-eviction-controller'), ctx.informers.informerFor<Node>(NODES), ctx.informers.informerFor<Pod>(PODS));
  c.start();
  return c;
}

export const taintEvictionController: ControllerDescriptor = { name: 'taint-eviction-controller', start: startTaintEvictionController };
