import { nowTimestamp } from '../../api/types.js';
import type { Informer } from '../../client/informer.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import type { RestClient } from '../../client/rest.js';
import { sleep } from '../../client/clock.js';
import { logger } from '../../util/log.js';
import { KeyWorker, ensureIndex, keyOf } from '../shared/worker.js';
import { LEASES, NODES, PODS } from '../core-resources.js';
import { extraDurationMs } from '../options.js';
import type { ControllerContext, ControllerDescriptor, ControllerManagerOptions, RunningController } from '../types.js';
import { markConditionsUnknown, observeHealth, type NodeHealth } from './health.js';
import { markPodsNotReady, recordNodeEvent, recordNodeStatusChange, swapNodeTaints } from './node-updates.js';
import { NOT_READY_NO_EXECUTE, noScheduleTaintDiff, taintExists, UNREACHABLE_NO_EXECUTE } from './taints.js';
import { getCondition, type Lease, type Node, type NodeCondition, type Pod } from './types.js';
import { computeZoneState, LABEL_EXCLUDE_DISRUPTION, RateLimitedTimedQueue, SwappableLimiter, zoneEvictionRate, zoneKey, type ZoneState } from './zones.js';
import { forEachInParallel } from '../../util/parallel.js';

// Upstream's node-lifecycle-controller. Every --node-monitor-period it
// checks each node's heartbeat (Ready condition or kube-node-lease Lease);
// a silent node gets Unknown conditions, its pods NotReady, and is queued in
// its zone for a NoExecute taint (unreachable or not-ready). The per-zone
// queues are drained at the zone's eviction rate, which drops when a zone is
// partially disrupted and stops when every zone is down. NoSchedule taints
// follow the node's conditions through a separate keyed worker.

/** Upstream's scheduler.UpdateWorkerSize: nodes whose health one monitor pass updates at once. */
const NODE_UPDATE_WORKERS = 8;

const log = logger('node-lifecycle-controller');

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const PODS_BY_NODE = 'nodelifecycle/nodeName';

export function podsByNodeIndex(p: Pod): string[] {
  return p.spec?.nodeName ? [p.spec.nodeName] : [];
}

export class NodeLifecycleController {
  private readonly health = new Map<string, NodeHealth>();
  private readonly known = new Map<string, Node>();
  private readonly zoneStates = new Map<string, ZoneState>();
  private readonly tainters = new Map<string, RateLimitedTimedQueue>();
  private readonly noSchedule: KeyWorker;
  private readonly podWorker: KeyWorker;
  /**
   * Nodes whose pods are to be marked NotReady. Upstream writes them inside the monitor pass, so one pass with
   * a few silent nodes of 40 pods each took 18 s on a busy cluster (1,000 nodes), and a node that died with the
   * others but renewed just before waited that long for the next pass to be seen NotReady (22 s instead of 4 s).
   * Here the pass only queues them; a failed write is retried with back-off while the node stays not Ready.
   */
  private readonly podsNotReady: KeyWorker;
  private readonly ac = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(
    private readonly client: RestClient,
    private readonly recorder: EventRecorder,
    private readonly nodes: Informer<Node>,
    private readonly leases: Informer<Lease>,
    private readonly pods: Informer<Pod>,
    private readonly o: ControllerManagerOptions,
    /** The controller's clock (ms); tests step it instead of waiting. */
    private readonly now: () => number = Date.now,
  ) {
    ensureIndex(pods, PODS_BY_NODE, podsByNodeIndex);
    this.noSchedule = new KeyWorker({ name: 'node-lifecycle-controller', workers: 8, sync: (name) => this.doNoScheduleTaintingPass(name) });
    this.podWorker = new KeyWorker({ name: 'node-lifecycle-controller', workers: 4, sync: (key) => this.processPod(key) });
    this.podsNotReady = new KeyWorker({ name: 'node-lifecycle-controller', workers: NODE_UPDATE_WORKERS, sync: (name) => this.markNodePodsNotReady(name) });
  }

  start(): void {
    const regs = [
      this.nodes.addEventHandler({ onAdd: (n) => this.noSchedule.add(n.metadata.name!), onUpdate: (_o, n) => this.noSchedule.add(n.metadata.name!) }),
      this.pods.addEventHandler({
        onAdd: (p) => {
          if (p.spec?.nodeName) this.podWorker.add(keyOf(p));
        },
        onUpdate: (o, p) => {
          if (p.spec?.nodeName && p.spec.nodeName !== o.spec?.nodeName) this.podWorker.add(keyOf(p));
        },
      }),
    ];
    this.ac.signal.addEventListener('abort', () => regs.forEach((r) => r.remove()), { once: true });
    this.noSchedule.run([this.nodes]);
    this.podWorker.run([this.nodes, this.pods]);
    this.podsNotReady.run([this.nodes, this.pods]);
    const periodic = (everyMs: number, fn: () => Promise<void>): Promise<void> =>
      (async () => {
        const synced = await Promise.all([this.nodes, this.leases, this.pods].map((i) => i.waitForSync(this.ac.signal)));
        if (!synced.every(Boolean)) return;
        while (!this.ac.signal.aborted) {
          try {
            await fn();
          } catch (err) {
            log.error({ err }, 'node lifecycle pass failed');
          }
          await sleep(everyMs, this.ac.signal);
        }
      })();
    this.loops.push(periodic(this.o.nodeMonitorPeriod * 1000, () => this.monitorNodeHealth()));
    this.loops.push(periodic(extraDurationMs(this.o, 'k8ts-node-eviction-period'), () => this.doNoExecuteTaintingPass()));
  }

  async stop(): Promise<void> {
    this.ac.abort();
    await Promise.all([...this.loops, this.noSchedule.stop(), this.podWorker.stop(), this.podsNotReady.stop()]);
  }

  zoneState(zone: string): ZoneState | undefined {
    return this.zoneStates.get(zone);
  }

  private tainter(zone: string): RateLimitedTimedQueue {
    let q = this.tainters.get(zone);
    if (!q) {
      this.tainters.set(zone, (q = new RateLimitedTimedQueue(new SwappableLimiter(this.o.nodeEvictionRate, this.now), this.now)));
      if (!this.zoneStates.has(zone)) this.zoneStates.set(zone, 'Initial');
    }
    return q;
  }

  async monitorNodeHealth(): Promise<void> {
    const nodes = this.nodes.store.list();
    const names = new Set(nodes.map((n) => n.metadata.name!));
    for (const node of nodes) {
      if (this.known.has(node.metadata.name!)) continue;
      const name = node.metadata.name!;
      log.info({ node: name }, 'Controller observed a new Node');
      recordNodeEvent(this.recorder, name, node.metadata.uid!, 'Normal', 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`);
      this.known.set(name, node);
      this.tainter(zoneKey(node));
      await this.markNodeAsReachable(node);
    }
    for (const [name, node] of this.known) {
      if (names.has(name)) continue;
      log.info({ node: name }, 'Controller observed a Node deletion');
      recordNodeEvent(this.recorder, name, node.metadata.uid!, 'Normal', 'RemovingNode', `Node ${name} event: Removing Node ${name} from Controller`);
      this.known.delete(name);
      this.health.delete(name);
      this.tainter(zoneKey(node)).remove(name);
    }

    const zoneConditions = new Map<string, (NodeCondition | undefined)[]>();
    const updateNode = async (cached: Node): Promise<void> => {
      const name = cached.metadata.name!;
      let result: { observed: NodeCondition; current?: NodeCondition } | undefined;
      let node = cached;
      for (let attempt = 0; attempt < 5 && !result; attempt++) {
        try {
          result = await this.tryUpdateNodeHealth(node);
        } catch (err) {
          log.info({ node: name, err: (err as Error).message }, 'failed to update node health, retrying');
          try {
            node = await this.client.get<Node>(NODES, undefined, name);
          } catch {
            break;
          }
        }
      }
      if (!result) return;
      const zone = zoneKey(node);
      this.tainter(zone);
      if (node.metadata.labels?.[LABEL_EXCLUDE_DISRUPTION] === undefined) zoneConditions.set(zone, [...(zoneConditions.get(zone) ?? []), result.current]);
      if (result.current) {
        // Upstream decides on the condition as it was before this pass, so a node it has just marked Unknown is
        // queued for its NoExecute taint only one --node-monitor-period later. The taint follows the condition this
        // pass wrote instead: same taint, same rate limiter, a period sooner. Other cases see no difference, since the
        // two conditions differ only when this pass marked the node Unknown.
        await this.processTaintBaseEviction(node, result.current);
        const becameNotReady = result.current.status !== 'True' && result.observed.status === 'True';
        if (becameNotReady) {
          recordNodeStatusChange(this.recorder, node, 'NodeNotReady');
          this.podsNotReady.add(name);
        }
      }
    };
    // Upstream updates nodes on 8 workers (ParallelizeUntil), so one node's status write does not wait for another's.
    await forEachInParallel(nodes, NODE_UPDATE_WORKERS, updateNode);
    await this.handleDisruption(zoneConditions, nodes);
  }

  /** Returns the Ready condition as observed before this pass and as it is after it. */
  private async tryUpdateNodeHealth(node: Node): Promise<{ observed: NodeCondition; current?: NodeCondition }> {
    const name = node.metadata.name!;
    const ready = getCondition(node.status?.conditions, 'Ready');
    const graceMs = ready ? this.o.nodeMonitorGracePeriod * 1000 : extraDurationMs(this.o, 'node-startup-grace-period');
    const observed: NodeCondition = ready
      ? { ...ready }
      : { type: 'Ready', status: 'Unknown', lastHeartbeatTime: node.metadata.creationTimestamp, lastTransitionTime: node.metadata.creationTimestamp };
    const now = this.now();
    const lease = this.leases.store.getByName(NODE_LEASE_NAMESPACE, name);
    const h = observeHealth(this.health.get(name), node, lease, now);
    this.health.set(name, h);
    let current = ready;
    if (now > h.probeTimestamp + graceMs) {
      const { conditions } = markConditionsUnknown(node, nowTimestamp(new Date(now)));
      current = getCondition(conditions, 'Ready');
      if (JSON.stringify(current) !== JSON.stringify(ready)) {
        log.info({ node: name }, 'node stopped posting status; marking conditions Unknown');
        await this.client.updateStatus(NODES, undefined, { ...node, status: { ...node.status, conditions } });
        this.health.set(name, { ...h, readyCondition: current, readyTransitionTimestamp: now });
      }
    }
    return { observed, current };
  }

  private async processTaintBaseEviction(node: Node, ready: NodeCondition): Promise<void> {
    const taints = node.spec?.taints;
    switch (ready.status) {
      case 'False':
        // Ready=False replaces an unreachable taint at once; a fresh taint waits for the zone's limiter.
        if (taintExists(taints, UNREACHABLE_NO_EXECUTE)) await swapNodeTaints(this.client, node, [NOT_READY_NO_EXECUTE], [UNREACHABLE_NO_EXECUTE]);
        else this.markNodeForTainting(node, 'False');
        break;
      case 'Unknown':
        if (taintExists(taints, NOT_READY_NO_EXECUTE)) await swapNodeTaints(this.client, node, [UNREACHABLE_NO_EXECUTE], [NOT_READY_NO_EXECUTE]);
        else this.markNodeForTainting(node, 'Unknown');
        break;
      case 'True':
        if (await this.markNodeAsReachable(node)) log.info({ node: node.metadata.name }, 'Node is healthy again, removed all taints');
        break;
    }
  }

  private markNodeForTainting(node: Node, status: 'False' | 'Unknown'): boolean {
    const q = this.tainter(zoneKey(node));
    const name = node.metadata.name!;
    const want = status === 'False' ? NOT_READY_NO_EXECUTE : UNREACHABLE_NO_EXECUTE;
    if (!taintExists(node.spec?.taints, want)) q.remove(name);
    return q.add(name, node.metadata.uid!);
  }

  /** Removes both NoExecute taints; true when there were any. */
  private async markNodeAsReachable(node: Node): Promise<boolean> {
    this.tainter(zoneKey(node)).remove(node.metadata.name!);
    const had = taintExists(node.spec?.taints, UNREACHABLE_NO_EXECUTE) || taintExists(node.spec?.taints, NOT_READY_NO_EXECUTE);
    if (!had) return false;
    return swapNodeTaints(this.client, node, [], [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE]);
  }

  async doNoExecuteTaintingPass(): Promise<void> {
    for (const q of this.tainters.values()) {
      await q.try(async (v) => {
        const node = this.nodes.store.get(v.value);
        if (!node) return [true, 0];
        const ready = getCondition(node.status?.conditions, 'Ready');
        if (!ready) return [false, 50];
        // Unreachable and not-ready are mutually exclusive, as the Ready condition's states.
        if (ready.status === 'False') return [await swapNodeTaints(this.client, node, [NOT_READY_NO_EXECUTE], [UNREACHABLE_NO_EXECUTE]), 0];
        if (ready.status === 'Unknown') return [await swapNodeTaints(this.client, node, [UNREACHABLE_NO_EXECUTE], [NOT_READY_NO_EXECUTE]), 0];
        return [true, 0];
      });
    }
  }

  private async handleDisruption(zoneConditions: Map<string, (NodeCondition | undefined)[]>, nodes: Node[]): Promise<void> {
    const newStates = new Map<string, ZoneState>();
    let allAreFullyDisrupted = true;
    for (const [zone, conds] of zoneConditions) {
      const { state } = computeZoneState(conds, this.o.unhealthyZoneThreshold);
      if (state !== 'FullDisruption') allAreFullyDisrupted = false;
      newStates.set(zone, state);
      if (!this.zoneStates.has(zone)) this.zoneStates.set(zone, 'Initial');
    }
    let allWasFullyDisrupted = true;
    for (const [zone, state] of [...this.zoneStates]) {
      if (!zoneConditions.has(zone)) {
        this.zoneStates.delete(zone);
        continue;
      }
      if (state !== 'FullDisruption') {
        allWasFullyDisrupted = false;
        break;
      }
    }
    if (allAreFullyDisrupted && allWasFullyDisrupted) return;
    const sizeOf = (zone: string): number => zoneConditions.get(zone)?.length ?? 0;
    if (allAreFullyDisrupted) {
      log.info('Controller detected that all Nodes are not-Ready. Entering master disruption mode');
      for (const n of nodes) await this.markNodeAsReachable(n);
      for (const zone of this.zoneStates.keys()) {
        this.tainter(zone).limiter.swap(0);
        this.zoneStates.set(zone, 'FullDisruption');
      }
      return;
    }
    if (allWasFullyDisrupted) {
      log.info('Controller detected that some Nodes are Ready. Exiting master disruption mode');
      const now = this.now();
      for (const n of nodes) {
        const h = this.health.get(n.metadata.name!);
        if (h) this.health.set(n.metadata.name!, { ...h, probeTimestamp: now, readyTransitionTimestamp: now });
      }
      for (const zone of this.zoneStates.keys()) {
        const state = newStates.get(zone) ?? 'Normal';
        this.tainter(zone).limiter.swap(zoneEvictionRate(state, sizeOf(zone), this.o));
        this.zoneStates.set(zone, state);
      }
      return;
    }
    for (const [zone, state] of this.zoneStates) {
      const next = newStates.get(zone);
      if (!next || next === state) continue;
      log.info({ zone, newState: next }, 'Controller detected that zone is now in new state');
      this.tainter(zone).limiter.swap(zoneEvictionRate(next, sizeOf(zone), this.o));
      this.zoneStates.set(zone, next);
    }
  }

  private async doNoScheduleTaintingPass(name: string): Promise<void> {
    const node = this.nodes.store.get(name);
    if (!node) return;
    const { add, remove } = noScheduleTaintDiff(node);
    if (!add.length && !remove.length) return;
    if (!(await swapNodeTaints(this.client, node, add, remove))) throw new Error(`failed to swap taints of node ${name}`);
  }

  /** Whether this controller last saw the node's Ready condition as False or Unknown. */
  private seenNotReady(nodeName: string): boolean {
    const ready = this.health.get(nodeName)?.readyCondition;
    return !!ready && ready.status !== 'True';
  }

  private async markNodePodsNotReady(name: string): Promise<void> {
    if (!this.seenNotReady(name)) return;
    await markPodsNotReady(this.client, this.recorder, this.pods.store.byIndex(PODS_BY_NODE, name), name);
  }

  private async processPod(key: string): Promise<void> {
    const pod = this.pods.store.get(key);
    const nodeName = pod?.spec?.nodeName;
    if (!pod || !nodeName || !this.seenNotReady(nodeName)) return;
    await markPodsNotReady(this.client, this.recorder, [pod], nodeName);
  }
}

export async function startNodeLifecycleController(ctx: ControllerContext): Promise<RunningController> {
  const c = new NodeLifecycleController(
    ctx.client,
    ctx.recorder('node-controller'),
    ctx.informers.informerFor<Node>(NODES),
    // All namespaces, as upstream's shared Lease informer: the garbage collector watches every Lease already, so
    // the two share one watch instead of decoding each node's renewal twice (at 1,000 nodes, 1,000 events a second).
    ctx.informers.informerFor<Lease>(LEASES),
    ctx.informers.informerFor<Pod>(PODS),
    ctx.options,
  );
  c.start();
  return c;
}

export const nodeLifecycleController: ControllerDescriptor = { name: 'nodelifecycle', start: startNodeLifecycleController };
