// One hollow node: a real kubelet (the colleague's startKubelet, unchanged)
// over the shared fake runtime, client, pod source, event recorder and
// ticker of the harness. Stopping it stops the kubelet only: its Lease and
// status go stale as a dead node's would, while the fake runtime keeps its
// pods, so starting it again adopts them as a restarted kubelet does.
//
// A node with no pods is a row in the harness's IdleFleet (registration,
// status, Lease): that is all an idle kubelet does for the API server, and
// thousands of idle nodes then cost a few hundred bytes each instead of a
// pod machinery each (workers, PLEG relist, probers, volumes) or even a node
// agent each. Its first pod starts the kubelet, whose node agent continues
// from the row's state: the Node sees no restart.
import { startKubelet, type KubeletOptions, type RunningKubelet } from '../kubelet/kubelet.js';
import type { NodeAgent } from '../kubelet/node/agent.js';
import { LABEL_NODE_NAME, type ContainerRuntime } from '../runtime/interface.js';
import { logger } from '../util/log.js';
import type { IdleFleet, IdleNodeState } from './idle-fleet.js';
import type { LeaseRenewer } from './lease-renewer.js';

const log = logger('hollow');

export type HollowState = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** What every hollow node of a harness shares; absent fleet: the kubelet always runs. */
export interface HollowHost {
  options(index: number): KubeletOptions;
  runtime: ContainerRuntime;
  fleet?: IdleFleet;
  /** Renews the Leases of the fleet's nodes, idle or awake, off the main thread (present with a fleet). */
  leases?: LeaseRenewer;
  /** Whether pods are bound to the node already (they wake it at once). */
  hasPods(name: string): boolean;
  /** A node agent continuing from what the fleet kept for node i. */
  agent(index: number, state: IdleNodeState): Promise<NodeAgent>;
}

export class HollowNode {
  private kubelet?: RunningKubelet;
  private pending?: Promise<void>;
  state: HollowState = 'stopped';
  lastError?: string;
  startedAt?: number;

  constructor(
    readonly name: string,
    readonly index: number,
    private readonly host: HollowHost,
  ) {}

  /** True while only the fleet's row stands for the node (no pod has come yet). */
  get isIdle(): boolean {
    return !!this.host.fleet?.isIdle(this.index);
  }

  /** Starts the node (idle when it can be); concurrent start/stop calls run one after the other. */
  start(): Promise<void> {
    return this.serialize(async () => {
      if (this.kubelet || this.isIdle) return;
      this.state = 'starting';
      try {
        const fleet = this.host.fleet;
        if (fleet && !(await this.hasRuntimePods(this.host.runtime))) {
          this.state = 'running';
          this.startedAt = Date.now();
          this.lastError = undefined;
          await fleet.add(this.index);
          // Pods already bound wake the node straight away; later ones reach wake() through the shared source.
          if (this.host.hasPods(this.name)) void this.wake();
          return;
        }
        if (this.host.leases) {
          // Pods left in the runtime (a restarted node): the kubelet adopts them, and the worker renews its Lease.
          const agent = await this.host.agent(this.index, {});
          await this.host.leases.add(this.index);
          this.kubelet = await startKubelet({ ...this.host.options(this.index), nodeAgent: agent });
        } else {
          this.kubelet = await startKubelet(this.host.options(this.index));
        }
        this.state = 'running';
        this.startedAt = Date.now();
        this.lastError = undefined;
      } catch (err) {
        this.state = 'failed';
        this.lastError = (err as Error).message;
        log.warn({ node: this.name, err: this.lastError }, 'hollow node failed to start');
      }
    });
  }

  stop(): Promise<void> {
    return this.serialize(async () => {
      if (!this.kubelet && !this.isIdle) return;
      this.state = 'stopping';
      this.host.fleet?.remove(this.index);
      this.host.leases?.remove(this.index);
      const k = this.kubelet;
      this.kubelet = undefined;
      await k?.stop();
      this.state = 'stopped';
      this.startedAt = undefined;
    });
  }

  /** The first pod: the kubelet starts with a node agent that continues from the fleet's row. */
  wake(): Promise<void> {
    return this.serialize(async () => {
      const fleet = this.host.fleet;
      if (!fleet?.isIdle(this.index) || this.kubelet) return;
      const state = fleet.remove(this.index);
      let agent: NodeAgent | undefined;
      try {
        agent = await this.host.agent(this.index, state);
        agent.start({ resumed: true });
        this.kubelet = await startKubelet({ ...this.host.options(this.index), nodeAgent: agent });
      } catch (err) {
        // No kubelet and no heartbeat: the node goes NotReady, as one whose kubelet cannot start.
        agent?.stop();
        this.state = 'failed';
        this.lastError = (err as Error).message;
        log.warn({ node: this.name, err: this.lastError }, 'hollow node could not start its kubelet for its first pod');
      }
    });
  }

  private async hasRuntimePods(runtime: ContainerRuntime): Promise<boolean> {
    return (await runtime.listPodSandboxes({ labelSelector: { [LABEL_NODE_NAME]: this.name } })).length > 0;
  }

  private serialize(fn: () => Promise<void>): Promise<void> {
    const next = (this.pending ?? Promise.resolve()).then(fn);
    const settled = next.catch(() => undefined);
    this.pending = settled;
    // Nothing queued behind it: drop the chain rather than keep a settled promise per node.
    void settled.then(() => {
      if (this.pending === settled) this.pending = undefined;
    });
    return next;
  }
}
