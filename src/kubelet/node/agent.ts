import type { NodeAgentContext } from '../context.js';
import * as ev from '../events.js';
import type { SharedTicker, TickerRegistration } from '../util/ticker.js';
import { NodeLease } from './lease.js';
import type { NodeFacts } from './node-object.js';
import type { MachineInfo } from './machine.js';
import type { KubeletOptions } from '../options.js';
import type { RuntimeVersion } from '../../runtime/interface.js';
import { NodeStatusReporter } from './registration.js';

// The node half of a kubelet: it registers the Node, keeps its status
// current and renews its Lease, on the shared ticker. A kubelet runs one;
// a hollow node with no pods runs only this and hands it to the kubelet it
// starts when its first pod arrives, so the Node sees no restart (no second
// "Starting kubelet.", no re-registration).

export interface NodeAgentOptions {
  ticker: SharedTicker;
  /** Upstream nodeStatusUpdateFrequency (10 s). */
  statusUpdateMs: number;
  /** Upstream nodeStatusReportFrequency (5 min). */
  statusReportMs: number;
  /** Upstream nodeLeaseDurationSeconds (40). */
  leaseDurationSeconds: number;
  /** Renew interval (upstream: a quarter of the duration). */
  leaseRenewMs: number;
  /** False: someone else renews the Lease (a hollow-nodes process's Lease worker). Default true. */
  renewLease?: boolean;
}

export class NodeAgent {
  readonly reporter: NodeStatusReporter;
  readonly lease: NodeLease;
  private regs: TickerRegistration[] = [];
  private stopped = false;
  /** Runs after every status tick (the kubelet reconciles mirror pods there). */
  afterStatus: () => void = () => undefined;

  constructor(
    ctx: NodeAgentContext,
    /** What the Node reports; the kubelet replaces it once its server port is known. */
    public facts: NodeFacts,
    private readonly o: NodeAgentOptions,
  ) {
    this.reporter = new NodeStatusReporter(ctx, () => this.facts, o.statusReportMs, () => this.stopped);
    this.lease = new NodeLease(ctx, o.leaseDurationSeconds, () => this.reporter.nodeUID);
    this.ctx = ctx;
  }

  private readonly ctx: NodeAgentContext;

  get running(): boolean {
    return this.regs.length > 0;
  }

  /** resumed: the node's agent already ran in this process (a hollow node waking), so no second "Starting kubelet.". */
  start(opts: { resumed?: boolean } = {}): void {
    if (this.running) return;
    this.stopped = false;
    if (!opts.resumed) this.ctx.recorder.event(this.reporter.ref, 'Normal', ev.StartingKubelet, 'Starting kubelet.');
    const tick = (): void => void this.reporter.tick().then(() => this.afterStatus());
    tick();
    this.regs.push(this.o.ticker.every(this.o.statusUpdateMs, tick));
    if (this.o.renewLease === false) return;
    void this.lease.renew();
    this.regs.push(this.o.ticker.every(this.o.leaseRenewMs, () => void this.lease.renew()));
  }

  stop(): void {
    this.stopped = true;
    for (const r of this.regs) r.stop();
    this.regs = [];
  }
}

/** What a kubelet started with these options reports about its node, from what it found on the machine. */
export function kubeletNodeFacts(
  opts: Pick<KubeletOptions, 'nodeName' | 'maxPods' | 'podCIDR' | 'nodeLabels' | 'capacity'>,
  found: { machine: MachineInfo; storageBytes: number; runtime: RuntimeVersion; address: string },
): NodeFacts {
  return {
    nodeName: opts.nodeName,
    machine: found.machine,
    storageBytes: found.storageBytes,
    maxPods: opts.maxPods ?? 110,
    runtimeVersion: `${found.runtime.runtimeName}://${found.runtime.runtimeVersion}`,
    address: found.address,
    kubeletPort: 0,
    podCIDR: opts.podCIDR,
    labels: opts.nodeLabels,
    capacity: opts.capacity,
  };
}
