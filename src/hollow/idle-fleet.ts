// The idle hollow nodes of one process, kept as a table instead of a node
// agent each. An idle kubelet only registers its Node, reports its status
// and renews its Lease; what it must remember for that between ticks is a
// handful of strings (the Node's uid, the Lease's resourceVersion, what it
// last reported). Everything else (the Node facts, the request bodies, the
// reporter and Lease objects that build them) is made again for each tick
// from shared parts and dropped after it, so an idle node costs a few
// hundred bytes of heap and no timer or closure of its own.
//
// One wheel per period walks the table in node order: node i is due at
// i/N of the period, so N nodes' renewals are spread evenly over it (as
// even as upstream's jitter is on average, with no bursts), and one timer
// serves them all.
import type { EventRecorder } from '../client/events/recorder.js';
import type { RestClient } from '../client/rest.js';
import type { NodeAgentContext } from '../kubelet/context.js';
import * as ev from '../kubelet/events.js';
import { NodeLease } from '../kubelet/node/lease.js';
import type { NodeFacts } from '../kubelet/node/node-object.js';
import { NodeStatusReporter, type ReporterState } from '../kubelet/node/registration.js';
import type { ContainerRuntime } from '../runtime/interface.js';
import type { Node } from '../kubelet/api-types.js';
import type { Logger } from '../util/log.js';
import { IndexQueue, IndexWheel } from './index-wheel.js';
import type { LeaseRenewer } from './lease-renewer.js';

export interface IdleFleetOptions {
  count: number;
  client: RestClient;
  runtime: ContainerRuntime;
  recorder: EventRecorder;
  log: Logger;
  nameOf(index: number): string;
  /** The Node facts of node i, built on demand (shared machine facts, its own name and address). */
  facts(index: number): Promise<NodeFacts>;
  leaseDurationSeconds: number;
  leaseRenewMs: number;
  /** Upstream nodeStatusUpdateFrequency (10 s). */
  statusUpdateMs: number;
  /** Upstream nodeStatusReportFrequency (5 min). */
  statusReportMs: number;
  /**
   * Node name to the Node as the harness's shared Node watch holds it; a
   * status tick reads it there instead of a GET (see NodeStatusReporter.tick).
   */
  cachedNode?(name: string): Node | undefined;
  /**
   * Who renews the nodes' Leases instead of the fleet (the hollow harness's
   * Lease worker, for nodes idle and awake alike); the fleet then only tells
   * it a registered node's uid.
   */
  leases?: LeaseRenewer;
}

/** What a node hands to the kubelet it starts: the agent state the fleet kept. */
export interface IdleNodeState {
  reporter?: ReporterState;
  leaseResourceVersion?: string;
}

const ACTIVE = 1;
const STATUS_BUSY = 2;
const LEASE_BUSY = 4;

/**
 * Requests the fleet has in flight at most, registration included. A slow
 * API server would otherwise hold thousands of them here, each a request
 * object, a reporter and its promises (several KB); past this many a due
 * node waits in a queue of numbers and goes when one finishes, as late as
 * it would have come back anyway. Four per connection of the harness's 16:
 * enough to keep them all busy.
 */
const MAX_IN_FLIGHT = 64;

/** Of those, registration requests at most: the rest stay for registered nodes' renewals. */
const MAX_REGISTERING = MAX_IN_FLIGHT / 2;

export class IdleFleet {
  private readonly flags: Uint8Array;
  private readonly lastReportAt: Float64Array;
  private readonly uid: (string | undefined)[];
  private readonly leaseRV: (string | undefined)[];
  /** "type=status;…" of the last report; interned, so nodes in the same state share one string. */
  private readonly conditions: (string | undefined)[];
  private readonly podCIDR: (string | undefined)[];
  private readonly interned = new Map<string, string>();
  private readonly leaseWheel: IndexWheel;
  private readonly statusWheel: IndexWheel;
  private active = 0;
  /** Requests of the fleet in flight (registration's included): at most MAX_IN_FLIGHT. */
  private inFlight = 0;
  private registering = 0;
  /** Registrations waiting for a slot; one per starting node, and the harness starts a few dozen at a time. */
  private readonly registrations: (() => void)[] = [];
  /** Due Lease renewals and status ticks waiting for a slot; a node's flag keeps it in each at most once. */
  private readonly leaseQueue = new IndexQueue();
  private readonly statusQueue = new IndexQueue();

  constructor(private readonly o: IdleFleetOptions) {
    const n = o.count;
    this.flags = new Uint8Array(n);
    this.lastReportAt = new Float64Array(n);
    this.uid = new Array<string | undefined>(n).fill(undefined);
    this.leaseRV = new Array<string | undefined>(n).fill(undefined);
    this.conditions = new Array<string | undefined>(n).fill(undefined);
    this.podCIDR = new Array<string | undefined>(n).fill(undefined);
    this.leaseWheel = new IndexWheel(n, o.leaseRenewMs, 0, (i) => this.due(i, LEASE_BUSY));
    this.statusWheel = new IndexWheel(n, o.statusUpdateMs, 0.5, (i) => this.due(i, STATUS_BUSY));
  }

  /** Idle nodes now in the table. */
  get size(): number {
    return this.active;
  }

  isIdle(i: number): boolean {
    return (this.flags[i]! & ACTIVE) !== 0;
  }

  /**
   * Node i starts idle, as a kubelet starting: "Starting kubelet.", then it
   * registers, then creates or takes over its Lease; resolves once both were
   * tried (a failed registration is retried by the status ticks, a failed
   * Lease by the renewals). A node started again registers again, as a
   * restarted kubelet.
   */
  async add(i: number): Promise<void> {
    if (this.isIdle(i)) return;
    // Busy for both until registered: the wheels skip it meanwhile.
    this.flags[i] = ACTIVE | STATUS_BUSY | LEASE_BUSY;
    this.uid[i] = this.leaseRV[i] = this.conditions[i] = this.podCIDR[i] = undefined;
    this.lastReportAt[i] = 0;
    this.active++;
    if (!this.o.leases) this.leaseWheel.run();
    this.statusWheel.run();
    this.o.recorder.event({ kind: 'Node', name: this.o.nameOf(i), uid: this.o.nameOf(i) }, 'Normal', ev.StartingKubelet, 'Starting kubelet.');
    try {
      await this.registrationSlot(() => (this.isIdle(i) ? this.reportStatusNow(i) : Promise.resolve()));
      if (this.o.leases) {
        if (this.isIdle(i)) await this.o.leases.add(i, this.uid[i]);
      } else {
        await this.registrationSlot(() => (this.isIdle(i) ? this.renewLeaseNow(i) : Promise.resolve()));
      }
    } finally {
      this.flags[i]! &= ~(STATUS_BUSY | LEASE_BUSY);
    }
  }

  /** Node i leaves the table (stopped, or its kubelet takes over); returns what its agent should continue from. */
  remove(i: number): IdleNodeState {
    if (!this.isIdle(i)) return {};
    this.flags[i]! &= ~ACTIVE;
    if (--this.active === 0) {
      this.leaseWheel.stop();
      this.statusWheel.stop();
    }
    const conditions = this.conditions[i];
    return {
      ...(conditions !== undefined ? { reporter: { uid: this.uid[i], lastReportAt: this.lastReportAt[i]!, conditions, podCIDR: this.podCIDR[i] } } : {}),
      leaseResourceVersion: this.leaseRV[i],
    };
  }

  stop(): void {
    this.leaseWheel.stop();
    this.statusWheel.stop();
    this.flags.fill(0);
    this.active = 0;
    this.leaseQueue.clear();
    this.statusQueue.clear();
    // Waiting registrations go now and find their node gone (registrationSlot's callers check).
    for (const go of this.registrations.splice(0)) {
      this.inFlight++;
      this.registering++;
      go();
    }
  }

  /**
   * One request of a registration, ahead of the renewals and status ticks
   * of registered nodes but on at most half the slots: with thousands of
   * nodes already renewing, registration behind them in one queue took ten
   * times as long (each of its requests waited behind a second's worth of
   * renewals), while registration alone on every slot would starve the
   * renewals and let the first Leases lapse.
   */
  private async registrationSlot(fn: () => Promise<void>): Promise<void> {
    if (this.inFlight < MAX_IN_FLIGHT && this.registering < MAX_REGISTERING) {
      this.inFlight++;
      this.registering++;
    } else {
      // release() hands over its slot and counts the registration.
      await new Promise<void>((resolve) => this.registrations.push(resolve));
    }
    try {
      await fn();
    } finally {
      this.registering--;
      this.release();
    }
  }

  private due(i: number, what: typeof STATUS_BUSY | typeof LEASE_BUSY): void {
    const f = this.flags[i]!;
    if (!(f & ACTIVE) || f & what) return;
    this.flags[i] = f | what;
    if (this.inFlight < MAX_IN_FLIGHT) this.start(i, what);
    else (what === LEASE_BUSY ? this.leaseQueue : this.statusQueue).push(i);
  }

  private start(i: number, what: typeof STATUS_BUSY | typeof LEASE_BUSY): void {
    this.inFlight++;
    void this.run(i, what);
  }

  private async run(i: number, what: typeof STATUS_BUSY | typeof LEASE_BUSY): Promise<void> {
    try {
      if (this.flags[i]! & ACTIVE) await (what === LEASE_BUSY ? this.renewLeaseNow(i) : this.reportStatusNow(i));
    } finally {
      this.flags[i]! &= ~what;
      this.release();
    }
  }

  /**
   * A slot came free: registrations first (within their share), then Lease
   * renewals, then status ticks. Renewals go before status because a late
   * renewal is what makes the node lifecycle controller mark a Node
   * NotReady; a late status tick only delays a report that is unchanged
   * for an idle node.
   */
  private release(): void {
    this.inFlight--;
    while (this.inFlight < MAX_IN_FLIGHT) {
      if (this.registrations.length > 0 && this.registering < MAX_REGISTERING) {
        this.inFlight++;
        this.registering++;
        this.registrations.shift()!();
        continue;
      }
      const lease = this.leaseQueue.shift();
      if (lease !== undefined) {
        this.start(lease, LEASE_BUSY);
        continue;
      }
      const status = this.statusQueue.shift();
      if (status === undefined) return;
      this.start(status, STATUS_BUSY);
    }
  }

  private ctx(i: number): NodeAgentContext {
    return { nodeName: this.o.nameOf(i), client: this.o.client, runtime: this.o.runtime, recorder: this.o.recorder, log: this.o.log };
  }

  private intern(s: string): string {
    let v = this.interned.get(s);
    if (v === undefined) this.interned.set(s, (v = s));
    return v;
  }

  private async reportStatusNow(i: number): Promise<void> {
    const facts = await this.o.facts(i);
    // A node stopped (or woken) while its tick waits writes nothing: its kubelet's agent, if any, reports now.
    const reporter = new NodeStatusReporter(this.ctx(i), () => facts, this.o.statusReportMs, () => !this.isIdle(i));
    const conditions = this.conditions[i];
    if (conditions !== undefined) reporter.restore({ uid: this.uid[i], lastReportAt: this.lastReportAt[i]!, conditions, podCIDR: this.podCIDR[i] });
    await reporter.tick(conditions !== undefined ? this.o.cachedNode?.(this.o.nameOf(i)) : undefined);
    const s = reporter.snapshot();
    if (s?.uid !== undefined && s.uid !== this.uid[i]) this.o.leases?.setUid(i, s.uid);
    this.uid[i] = s?.uid;
    this.lastReportAt[i] = s?.lastReportAt ?? 0;
    this.conditions[i] = s ? this.intern(s.conditions) : undefined;
    this.podCIDR[i] = s?.podCIDR;
  }

  private async renewLeaseNow(i: number): Promise<void> {
    const lease = new NodeLease(this.ctx(i), this.o.leaseDurationSeconds, () => this.uid[i]);
    const rv = this.leaseRV[i];
    if (rv !== undefined) lease.seed(rv);
    await lease.renew();
    this.leaseRV[i] = lease.resourceVersion;
  }
}
