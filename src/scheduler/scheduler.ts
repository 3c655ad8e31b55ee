import type { RestClient } from '../client/rest.js';
import { Informer } from '../client/informer.js';
import { EventRecorder } from '../client/events/recorder.js';
import { isConflict, isNotFound } from '../client/status.js';
import { logger } from '../util/log.js';
import { SchedulerCache } from './cache/cache.js';
import { Snapshot } from './cache/snapshot.js';
import { Framework } from './framework/runtime.js';
import { inTreeRegistry, type Registry } from './framework/registry.js';
import type { QueuedPodInfo } from './framework/interface.js';
import { DEFAULT_SCHEDULER_NAME, type Node, type Pod } from './framework/types.js';
import { SchedulingQueue } from './queue/scheduling-queue.js';
import * as ev from './queue/events.js';
import { resolveProfiles, type SchedulerConfiguration } from './config/profile.js';
import { schedulePod, StartIndex } from './schedule-one.js';
import { CycleState } from './framework/cycle-state.js';
import { NAMESPACES, NODES, PODDISRUPTIONBUDGETS, PODS, RestSchedulerApi } from './api.js';
import type { PodDisruptionBudget } from './framework/interface.js';
import { FailureHandler } from './failure.js';
import { nodeSchedulingPropertiesChanged } from './util/node-changes.js';
import { SchedulerVolumes } from './volumes.js';
import { InFlightLimit } from './util/in-flight.js';

// The scheduler: informers feed the cache (bound pods, nodes) and the
// queue (pending pods for our profiles); one loop pops a pod, refreshes the
// snapshot, runs the profile's plugins, assumes the pod on the chosen node
// and hands the binding to an asynchronous binding cycle.

const log = logger('scheduler');

export interface SchedulerOptions {
  client: RestClient;
  /** Events go through their own client so they never queue behind bindings. */
  eventClient?: RestClient;
  config?: SchedulerConfiguration;
  registry?: Registry;
  /**
   * Asked right before each binding; false skips it (the pod goes back to
   * the informer's say). Leader election passes "the lease is still ours".
   */
  mayBind?: () => boolean;
}

export interface SchedulerStats {
  scheduled: number;
  failed: number;
  bindErrors: number;
}

const YIELD_EVERY_MS = 8;
/** Bindings in flight at once; the rest wait their turn (they are already assumed in the cache). */
const MAX_BINDINGS_IN_FLIGHT = 32;

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly snapshot = new Snapshot();
  readonly queue: SchedulingQueue;
  readonly frameworks = new Map<string, Framework>();
  readonly stats: SchedulerStats = { scheduled: 0, failed: 0, bindErrors: 0 };
  private readonly start = new StartIndex();
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;
  private readonly namespaces: Informer;
  private readonly pdbs: Informer<PodDisruptionBudget>;
  private readonly volumes: SchedulerVolumes;
  private readonly recorder: EventRecorder;
  private readonly api: RestSchedulerApi;
  private readonly failures: FailureHandler;
  private stopped = false;
  private loop?: Promise<void>;
  private readonly bindings = new Set<Promise<void>>();
  private readonly bindSlots = new InFlightLimit(MAX_BINDINGS_IN_FLIGHT);

  constructor(private readonly opts: SchedulerOptions) {
    const { client } = opts;
    const cfg = opts.config ?? {};
    this.recorder = new EventRecorder(opts.eventClient ?? client, { component: DEFAULT_SCHEDULER_NAME, maxQueued: 20_000 });
    this.api = new RestSchedulerApi(client, this.recorder);
    this.pods = new Informer<Pod>(client, PODS, { fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' });
    this.nodes = new Informer<Node>(client, NODES);
    this.namespaces = new Informer(client, NAMESPACES);
    this.pdbs = new Informer<PodDisruptionBudget>(client, PODDISRUPTIONBUDGETS);
    this.volumes = new SchedulerVolumes(client);
    const registry = opts.registry ?? inTreeRegistry();
    for (const profile of resolveProfiles(cfg)) {
      const fwk = new Framework(profile, registry, {
        snapshot: () => this.snapshot,
        namespaceLabels: (ns) => this.namespaces.store.get(ns)?.metadata.labels,
        nominatedPodsForNode: (n) => this.queue.nominator.podsForNode(n),
        hasNominatedPods: () => this.queue.nominator.size > 0,
        api: this.api,
        volumes: this.volumes,
        podDisruptionBudgets: () => this.pdbs.store.list(),
      });
      this.frameworks.set(profile.schedulerName, fwk);
    }
    const first = this.frameworks.values().next().value!;
    const pluginEvents = new Map<string, ev.ClusterEvent[]>();
    for (const f of this.frameworks.values()) for (const [k, v] of f.pluginEvents) pluginEvents.set(k, v);
    this.queue = new SchedulingQueue({
      less: (a, b) => first.queueSort.less(a, b),
      preEnqueue: (pod) => this.frameworkFor(pod)!.runPreEnqueue(pod),
      pluginEvents,
      initialBackoffMs: (cfg.podInitialBackoffSeconds ?? 1) * 1000,
      maxBackoffMs: (cfg.podMaxBackoffSeconds ?? 10) * 1000,
    });
    this.failures = new FailureHandler(this.api, this.queue, this.stats);
    this.wireInformers();
  }

  private frameworkFor(pod: Pod): Framework | undefined {
    return this.frameworks.get(pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME);
  }

  private wireInformers(): void {
    const q = this.queue;
    this.pods.addEventHandler({
      onAdd: (pod) => {
        if (pod.spec.nodeName) {
          this.cache.addPod(pod);
          q.moveAllToActiveOrBackoff(ev.ASSIGNED_POD_ADD);
        } else if (this.frameworkFor(pod) && !pod.metadata.deletionTimestamp) q.add(pod);
      },
      onUpdate: (old, pod) => {
        if (pod.spec.nodeName) {
          if (!old.spec.nodeName) {
            q.delete(old);
            this.cache.addPod(pod);
            q.moveAllToActiveOrBackoff(ev.ASSIGNED_POD_ADD);
          } else {
            this.cache.updatePod(old, pod);
            q.moveAllToActiveOrBackoff(ev.ASSIGNED_POD_UPDATE);
          }
          return;
        }
        if (!this.frameworkFor(pod)) return;
        // Our own status patches on a pod we already assumed need no new attempt.
        if (this.cache.isAssumed(`${pod.metadata.namespace}/${pod.metadata.name}`)) return;
        if (pod.metadata.deletionTimestamp) q.delete(pod);
        else q.update(old, pod);
      },
      onDelete: (pod) => {
        this.cache.removePod(pod);
        q.delete(pod);
        if (pod.spec.nodeName) q.moveAllToActiveOrBackoff(ev.ASSIGNED_POD_DELETE);
      },
    });
    this.nodes.addEventHandler({
      onAdd: (node) => {
        this.cache.addNode(node);
        q.moveAllToActiveOrBackoff(ev.NODE_ADD);
      },
      onUpdate: (old, node) => {
        this.cache.updateNode(old, node);
        if (nodeSchedulingPropertiesChanged(old, node)) q.moveAllToActiveOrBackoff(ev.NODE_UPDATE);
      },
      onDelete: (node) => {
        this.cache.removeNode(node);
        q.moveAllToActiveOrBackoff(ev.NODE_DELETE);
      },
    });
    this.namespaces.addEventHandler({
      onUpdate: () => q.moveAllToActiveOrBackoff(ev.NAMESPACE_ANY),
    });
    const on = (e: ev.ClusterEvent) => ({ onAdd: () => q.moveAllToActiveOrBackoff(e), onUpdate: () => q.moveAllToActiveOrBackoff(e), onDelete: () => q.moveAllToActiveOrBackoff(e) });
    this.volumes.claims.addEventHandler(on(ev.PVC_ANY));
    this.volumes.pvs.addEventHandler(on(ev.PV_ANY));
    this.volumes.classes.addEventHandler(on(ev.STORAGECLASS_ANY));
  }

  /** Start the informers, wait for their caches, then schedule until stop(). */
  async run(signal?: AbortSignal): Promise<void> {
    this.nodes.start();
    this.namespaces.start();
    this.pdbs.start();
    this.pods.start();
    this.volumes.start();
    const ok = (await this.nodes.waitForSync(signal)) && (await this.namespaces.waitForSync(signal)) && (await this.pdbs.waitForSync(signal)) && (await this.pods.waitForSync(signal)) && (await this.volumes.waitForSync(signal));
    if (!ok || this.stopped) return;
    this.queue.run();
    log.info({ profiles: [...this.frameworks.keys()], nodes: this.cache.nodeCount }, 'scheduler started');
    this.loop = this.scheduleLoop();
    await this.loop;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.queue.close();
    await this.loop;
    await Promise.allSettled([...this.bindings]);
    await Promise.all([this.pods.stop(), this.nodes.stop(), this.namespaces.stop(), this.pdbs.stop(), this.volumes.stop()]);
    await this.recorder.shutdown();
  }

  private async scheduleLoop(): Promise<void> {
    let lastYield = performance.now();
    while (!this.stopped) {
      const q = this.queue.tryPop() ?? (await this.queue.pop());
      if (!q) break;
      try {
        await this.scheduleOne(q);
      } catch (err) {
        log.error({ err, pod: q.info.key }, 'scheduling attempt failed');
        this.queue.done(q.info.key);
      }
      // Popping from a non-empty queue never leaves the microtask queue; let I/O (watch events, binding replies) in.
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
      }
    }
  }

  /** One scheduling cycle; the binding cycle continues in the background. */
  async scheduleOne(q: QueuedPodInfo): Promise<void> {
    const pod = q.info.pod;
    const fwk = this.frameworkFor(pod);
    if (!fwk || pod.metadata.deletionTimestamp || this.cache.isAssumed(q.info.key) || pod.spec.nodeName) {
      this.queue.done(q.info.key);
      return;
    }
    this.cache.updateSnapshot(this.snapshot);
    const podCycle = this.queue.currentCycle;
    const state = new CycleState();
    const r = schedulePod(fwk, state, q.info, this.snapshot, this.start);
    if (r.kind === 'error') {
      q.lastError = r.status.code === 1;
      q.unschedulablePlugins = new Set();
      this.failures.handle(q, r.status.message(), podCycle, { reason: r.status.code === 1 ? 'SchedulerError' : 'Unschedulable' });
      return;
    }
    if (r.kind === 'fit') {
      let postFilterMsg = '';
      let nominated: string | undefined;
      if (fwk.postFilter.length > 0 && r.preFilterMsg === '') {
        const pf = await fwk.runPostFilter(state, q.info, r.statuses);
        nominated = pf.result?.nominatedNodeName;
        if (!pf.status.isSuccess()) postFilterMsg = pf.status.message();
      }
      q.lastError = false;
      q.unschedulablePlugins = r.plugins;
      this.failures.handleFit(q, r, postFilterMsg, nominated, podCycle);
      return;
    }
    const node = r.node;
    this.cache.assumePod(q.info, node);
    const rs = fwk.runReserve(state, q.info, node);
    if (!rs.isSuccess()) {
      fwk.runUnreserve(state, q.info, node);
      this.cache.forgetPod(q.info.key);
      this.failures.handle(q, rs.message(), podCycle, { reason: 'SchedulerError' });
      return;
    }
    this.queue.nominator.delete(q.info.key);
    const p = this.bindingCycle(fwk, state, q, node, podCycle);
    this.bindings.add(p);
    void p.finally(() => this.bindings.delete(p));
  }

  private async bindingCycle(fwk: Framework, state: CycleState, q: QueuedPodInfo, node: string, podCycle: number): Promise<void> {
    const pod = q.info.pod;
    const pre = await fwk.runPreBind(state, q.info, node);
    // Stopped meanwhile, or the lease ran out: another scheduler may own this pod now, so never bind it.
    const mayNotBind = (): boolean => this.stopped || this.opts.mayBind?.() === false;
    const giveUp = (): void => {
      fwk.runUnreserve(state, q.info, node);
      this.cache.forgetPod(q.info.key);
      this.queue.done(q.info.key);
    };
    if (mayNotBind()) return giveUp();
    // PreBind stays outside the limit: a volume binding may wait a long time and must not hold up others.
    // The lease is checked again once a slot is free: the wait for it may have outlasted the term.
    let refused = false;
    const s = pre.isSuccess()
      ? await this.bindSlots.run(async () => {
          if (!mayNotBind()) return fwk.runBind(state, q.info, node);
          refused = true;
          return pre;
        })
      : pre;
    if (refused) return giveUp();
    if (s.isSuccess()) {
      this.cache.finishBinding(q.info.key);
      this.queue.done(q.info.key);
      this.stats.scheduled++;
      this.api.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${node}`);
      this.failures.clearDiagnosis(pod);
      return;
    }
    this.stats.bindErrors++;
    fwk.runUnreserve(state, q.info, node);
    this.cache.forgetPod(q.info.key);
    const err = s.error;
    if (err && (isNotFound(err) || isConflict(err))) {
      // Deleted, or bound by someone else: the informer will tell the cache what really happened.
      this.queue.done(q.info.key);
      return;
    }
    log.warn({ pod: q.info.key, node, err: s.message() }, 'binding failed');
    // The assumed resources are free again: others may fit now.
    this.queue.moveAllToActiveOrBackoff(ev.ASSIGNED_POD_DELETE);
    q.lastError = true;
    this.failures.handle(q, `Binding rejected: ${s.message()}`, podCycle, { reason: 'SchedulerError' });
  }

  /** Resolves once no pod is waiting in the active queue and no binding is in flight (tests, bench). */
  async idle(): Promise<void> {
    while (this.bindings.size > 0) await Promise.allSettled([...this.bindings]);
  }
}
