// One hollow node: a real kubelet (the colleague's startKubelet, unchanged)
// over the shared fake runtime, client, pod source, event recorder and
// ticker of the harness. Stopping it stops the kubelet only: its Lease and
// status go stale as a dead node's would, while the fake runtime keeps its
// pods, so starting it again adopts them as a restarted kubelet does.
//
// A node with no pods runs only the kubelet's node agent (registration,
// status, Lease): that is all an idle kubelet does for the API server, and
// thousands of idle nodes then cost a few KB each instead of a pod
// machinery each (workers, PLEG relist, probers, volumes). Its first pod
// starts the kubelet, which takes the agent over: the Node sees no restart.
import { startKubelet, type KubeletOptions, type RunningKubelet } from '../kubelet/kubelet.js';
import type { NodeAgent } from '../kubelet/node/agent.js';
import type { NodePodSource, PodSubscription } from '../kubelet/pod/source.js';
import { LABEL_NODE_NAME, type ContainerRuntime } from '../runtime/interface.js';
import { logger } from '../util/log.js';

const log = logger('hollow');

export type HollowState = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** How an idle node runs without a kubelet; absent: the kubelet always runs. */
export interface IdleMode {
  agent(): Promise<NodeAgent>;
  source: NodePodSource;
  runtime: ContainerRuntime;
}

export class HollowNode {
  private kubelet?: RunningKubelet;
  private agent?: NodeAgent;
  private sub?: PodSubscription;
  private pending?: Promise<void>;
  state: HollowState = 'stopped';
  lastError?: string;
  startedAt?: number;

  constructor(
    readonly name: string,
    private readonly options: () => KubeletOptions,
    private readonly idle?: IdleMode,
  ) {}

  /** True while only the node agent runs (no pod has come yet). */
  get isIdle(): boolean {
    return !!this.agent;
  }

  /** Starts the node (idle when it can be); concurrent start/stop calls run one after the other. */
  start(): Promise<void> {
    return this.serialize(async () => {
      if (this.kubelet || this.agent) return;
      this.state = 'starting';
      try {
        if (this.idle && !(await this.hasRuntimePods(this.idle.runtime))) {
          this.agent = await this.idle.agent();
          this.agent.start();
          // Pods already bound are replayed at once, so a node with pods wakes straight away.
          this.sub = this.idle.source.subscribe(this.name, { onUpsert: () => void this.wake(), onDelete: () => undefined });
        } else {
          this.kubelet = await startKubelet(this.options());
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
      if (!this.kubelet && !this.agent) return;
      this.state = 'stopping';
      if (this.agent) {
        this.agent.stop();
        this.agent = undefined;
        await this.sub?.stop();
        this.sub = undefined;
      }
      const k = this.kubelet;
      this.kubelet = undefined;
      await k?.stop();
      this.state = 'stopped';
      this.startedAt = undefined;
    });
  }

  /** The first pod: the kubelet starts and takes the running agent over. */
  private wake(): Promise<void> {
    return this.serialize(async () => {
      const agent = this.agent;
      if (!agent || this.kubelet) return;
      try {
        // The kubelet's own subscription replaces ours (one handler per node on the shared source).
        this.kubelet = await startKubelet({ ...this.options(), nodeAgent: agent });
        this.agent = undefined;
        this.sub = undefined;
      } catch (err) {
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
    this.pending = next.catch(() => undefined);
    return next;
  }
}
