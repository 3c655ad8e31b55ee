import type { KubeObject } from '../api/types.js';
import { nowMicroTime } from '../api/types.js';
import type { RestClient } from './rest.js';
import type { ResourceRef } from './paths.js';
import { isConflict, isNotFound, isAlreadyExists } from './status.js';
import { jitter, sleep, realClock, type Clock } from './clock.js';
import { logger } from '../util/log.js';

// Lease-based leader election as client-go's leaderelection + LeaseLock.
// A lease is held while its holder renews it; others judge expiry by their
// own clock from when they last saw the record change (never by the
// holder's renewTime, which may come from a skewed clock). Writes carry the
// observed resourceVersion, so two candidates cannot both win.

const log = logger('client');

export const LEASES: ResourceRef = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true };

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderCallbacks {
  /** Leadership acquired; the signal aborts when it is lost or the elector stops. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Leadership lost or released (only called after onStartedLeading). */
  onStoppedLeading?(): void;
  /** The observed leader changed (including to ourselves). */
  onNewLeader?(identity: string): void;
}

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  identity: string;
  /** How long non-leaders wait after the last observed change before taking over (default 15 s). */
  leaseDurationMs?: number;
  /** How long the leader keeps retrying a renewal before giving up (default 10 s). */
  renewDeadlineMs?: number;
  /** Interval between attempts (default 2 s). */
  retryPeriodMs?: number;
  /** Clear the holder on stop so a successor need not wait out the lease (default true). */
  releaseOnCancel?: boolean;
  callbacks: LeaderCallbacks;
  clock?: Clock;
}

const JITTER_FACTOR = 1.2;

export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly clock: Clock;
  private readonly stopAc = new AbortController();
  private observed?: Lease;
  private observedRaw = '';
  private observedTime = 0;
  private reportedLeader?: string;
  private leading = false;
  /** While leading: the end of the time we may act, renewDeadline after the last renewal that succeeded. */
  private validUntil = 0;
  private running?: Promise<void>;

  constructor(
    private readonly client: RestClient,
    private readonly cfg: LeaderElectionConfig,
  ) {
    this.leaseDurationMs = cfg.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = cfg.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = cfg.retryPeriodMs ?? 2_000;
    this.clock = cfg.clock ?? realClock;
    if (this.leaseDurationMs <= this.renewDeadlineMs) throw new Error('leaseDuration must be greater than renewDeadline');
    if (this.renewDeadlineMs <= JITTER_FACTOR * this.retryPeriodMs) throw new Error('renewDeadline must be greater than retryPeriod*JitterFactor');
  }

  isLeader(): boolean {
    return this.leading;
  }

  /**
   * Leading and still within the renew deadline, by the clock now. Checked
   * right before an action that must never be taken twice (a binding): a
   * process frozen past its deadline (SIGSTOP, a long pause) wakes with its
   * timers overdue and might act before the renew loop notices.
   */
  holdsLease(): boolean {
    return this.leading && this.clock.now() < this.validUntil;
  }

  /** The holder last observed in the lease ("" when none). */
  getLeader(): string {
    return this.observed?.spec?.holderIdentity ?? '';
  }

  /** Campaign, lead until the lease is lost or stop() is called. Resolves when no longer leading. */
  run(): Promise<void> {
    this.running ??= this.campaign();
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopAc.abort();
    await this.running;
  }

  private get stopped(): boolean {
    return this.stopAc.signal.aborted;
  }

  private async campaign(): Promise<void> {
    // Acquire: retry every retryPeriod (jittered) until we hold the lease.
    let acquiredAt = 0;
    while (!this.stopped) {
      const started = this.clock.now();
      if (await this.tryAcquireOrRenew()) {
        acquiredAt = started;
        break;
      }
      await sleep(this.untilNextAttempt(), this.stopAc.signal);
    }
    if (this.stopped) return;

    this.leading = true;
    const leadAc = new AbortController();
    log.info({ lease: `${this.cfg.namespace}/${this.cfg.name}`, identity: this.cfg.identity }, 'acquired lease');
    Promise.resolve()
      .then(() => this.cfg.callbacks.onStartedLeading(leadAc.signal))
      .catch((err: unknown) => log.error({ err }, 'onStartedLeading failed'));

    // Renew: leadership ends renewDeadline after the start of the last
    // attempt that succeeded. That start precedes the write others observe,
    // and they wait leaseDuration (> renewDeadline) from their observation,
    // so we stop before anyone may take over. An attempt that hangs (an API
    // server cut off from etcd) does not extend it: it is raced against the
    // deadline, and leadership is dropped the moment the deadline passes.
    // A watchdog timer due at the deadline drops leadership even while this
    // loop sleeps: after a freeze (SIGSTOP, a stalled host) overdue timers
    // run in due order before any I/O callback, so it fires before a
    // controller acts on a watch event that arrived meanwhile.
    let watchdog: NodeJS.Timeout | undefined;
    const arm = (until: number): void => {
      this.validUntil = until;
      if (watchdog) clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        if (this.leading && this.clock.now() >= this.validUntil) {
          this.leading = false;
          leadAc.abort();
        }
      }, Math.max(0, until - this.clock.now()));
      watchdog.unref();
    };
    arm(acquiredAt + this.renewDeadlineMs);
    while (!this.stopped) {
      await sleep(this.retryPeriodMs, this.stopAc.signal);
      let renewed = false;
      while (!this.stopped && this.clock.now() < this.validUntil) {
        const started = this.clock.now();
        const expired = new AbortController();
        const verdict = await Promise.race([
          this.tryAcquireOrRenew(),
          sleep(Math.max(0, this.validUntil - started), expired.signal).then(() => 'deadline' as const),
        ]);
        expired.abort();
        if (verdict === true) {
          arm(started + this.renewDeadlineMs);
          renewed = true;
          break;
        }
        // Someone else holds it now: it is lost, whatever time is left.
        if (verdict === 'deadline' || this.lostToAnother()) break;
        await sleep(Math.min(this.retryPeriodMs, Math.max(0, this.validUntil - this.clock.now())), this.stopAc.signal);
      }
      if (!renewed) break;
    }

    if (watchdog) clearTimeout(watchdog);
    this.leading = false;
    leadAc.abort();
    if (this.stopped && this.cfg.releaseOnCancel !== false) await this.release();
    else log.info({ lease: `${this.cfg.namespace}/${this.cfg.name}`, identity: this.cfg.identity }, 'failed to renew lease');
    try {
      this.cfg.callbacks.onStoppedLeading?.();
    } catch (err) {
      log.error({ err }, 'onStoppedLeading failed');
    }
  }

  /**
   * The jittered retry period, cut short to the moment the lease we saw
   * held by another expires by our clock: a dead leader is replaced a lease
   * duration after we saw its last renewal, not up to a retry period later.
   * While another holds the lease we also look four times a retry period:
   * the lease duration counts from when we saw the holder's last renewal,
   * and seeing it up to a whole retry period late (client-go's candidates
   * do) delays the takeover after a crash by as much. A read costs the API
   * server a GET; taking over earlier is still safe, since the holder stops
   * acting a renew deadline (< lease duration) after that renewal began.
   */
  private untilNextAttempt(): number {
    const retry = jitter(this.retryPeriodMs, JITTER_FACTOR);
    const spec = this.observed?.spec;
    if (!spec?.holderIdentity || spec.holderIdentity === this.cfg.identity) return retry;
    const look = jitter(this.retryPeriodMs / 4, JITTER_FACTOR);
    const expiresIn = this.observedTime + (spec.leaseDurationSeconds ?? 0) * 1000 - this.clock.now();
    return expiresIn >= 0 ? Math.min(look, expiresIn + 1) : look;
  }

  private lostToAnother(): boolean {
    const holder = this.observed?.spec?.holderIdentity ?? '';
    return holder !== '' && holder !== this.cfg.identity;
  }

  private observe(lease: Lease): void {
    const raw = JSON.stringify(lease.spec ?? {});
    if (raw !== this.observedRaw) {
      this.observedRaw = raw;
      this.observedTime = this.clock.now();
    }
    this.observed = lease;
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      try {
        this.cfg.callbacks.onNewLeader?.(holder);
      } catch (err) {
        log.error({ err }, 'onNewLeader failed');
      }
    }
  }

  private now(): string {
    return nowMicroTime(new Date(this.clock.now()));
  }

  /** One attempt to take or keep the lease; true when we hold it afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.cfg;
    const now = this.now();
    const durationSeconds = Math.round(this.leaseDurationMs / 1000);
    let current: Lease;
    try {
      current = await this.client.get<Lease>(LEASES, namespace, name);
    } catch (err) {
      if (!isNotFound(err)) {
        log.warn({ err: (err as Error).message, lease: `${namespace}/${name}` }, 'error retrieving lease');
        return false;
      }
      try {
        const created = await this.client.create<Lease>(LEASES, namespace, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        });
        this.observe(created);
        return true;
      } catch (cerr) {
        if (!isAlreadyExists(cerr)) log.warn({ err: (cerr as Error).message }, 'error creating lease');
        return false;
      }
    }

    this.observe(current);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const iHold = holder === identity;
    const heldDurationMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder && !iHold && this.observedTime + heldDurationMs > this.clock.now()) return false;

    const next: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: iHold ? spec.acquireTime : now,
      renewTime: now,
      leaseTransitions: iHold ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
    };
    try {
      const updated = await this.client.update<Lease>(LEASES, namespace, { ...current, spec: next });
      this.observe(updated);
      return true;
    } catch (err) {
      if (!isConflict(err)) log.warn({ err: (err as Error).message, lease: `${namespace}/${name}` }, 'error updating lease');
      return false;
    }
  }

  /** Give the lease up so a successor can take it at once, as upstream's release(). */
  private async release(): Promise<void> {
    const lease = this.observed;
    if (!lease || lease.spec?.holderIdentity !== this.cfg.identity) return;
    const now = this.now();
    try {
      const updated = await this.client.update<Lease>(LEASES, this.cfg.namespace, {
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
      });
      this.observe(updated);
      log.info({ lease: `${this.cfg.namespace}/${this.cfg.name}`, identity: this.cfg.identity }, 'released lease');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'failed to release lease');
    }
  }
}
