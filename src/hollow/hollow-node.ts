// One hollow node: a real kubelet (the colleague's startKubelet, unchanged)
// over the shared fake runtime, client, pod source, event recorder and
// ticker of the harness. Stopping it stops the kubelet only: its Lease and
// status go stale as a dead node's would, while the fake runtime keeps its
// pods, so starting it again adopts them as a restarted kubelet does.
import { startKubelet, type KubeletOptions, type RunningKubelet } from '../kubelet/kubelet.js';
import { logger } from '../util/log.js';

const log = logger('hollow');

export type HollowState = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export class HollowNode {
  private kubelet?: RunningKubelet;
  private pending?: Promise<void>;
  state: HollowState = 'stopped';
  lastError?: string;
  startedAt?: number;

  constructor(
    readonly name: string,
    private readonly options: () => KubeletOptions,
  ) {}

  /** Starts the kubelet; concurrent start/stop calls run one after the other. */
  start(): Promise<void> {
    return this.serialize(async () => {
      if (this.kubelet) return;
      this.state = 'starting';
      try {
        this.kubelet = await startKubelet(this.options());
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
      if (!this.kubelet) return;
      this.state = 'stopping';
      const k = this.kubelet;
      this.kubelet = undefined;
      await k.stop();
      this.state = 'stopped';
      this.startedAt = undefined;
    });
  }

  private serialize(fn: () => Promise<void>): Promise<void> {
    const next = (this.pending ?? Promise.resolve()).then(fn);
    this.pending = next.catch(() => undefined);
    return next;
  }
}
