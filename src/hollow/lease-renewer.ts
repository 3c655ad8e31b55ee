// The main thread's handle on the Lease worker (lease-worker.ts): nodes of
// the process join and leave the renewals here; the renewals themselves
// run on the worker's event loop and connections.
import { Worker } from 'node:worker_threads';
import type { ClientConfig } from '../client/kubeconfig.js';
import type { FromLeaseWorker, LeaseStats, LeaseWorkerData, ToLeaseWorker } from './lease-messages.js';

export interface LeaseRenewerOptions {
  clientConfig: ClientConfig;
  count: number;
  namePrefix: string;
  leaseDurationSeconds: number;
  leaseRenewMs: number;
}

export class LeaseRenewer {
  private readonly worker: Worker;
  /** Node index to the resolvers of add() calls waiting for its first renewal. */
  private readonly tried = new Map<number, (() => void)[]>();
  private closed?: Promise<void>;
  private exited = false;
  private readonly statsWaiters: ((s: LeaseStats) => void)[] = [];
  /** The worker's last report (every 5 s). */
  stats: LeaseStats = { live: 0, renewals: 0, failures: 0, maxGapMs: 0, windowMaxGapMs: 0, oldestMs: 0 };

  constructor(o: LeaseRenewerOptions) {
    const workerData: LeaseWorkerData = { clientConfig: o.clientConfig, count: o.count, namePrefix: o.namePrefix, leaseDurationSeconds: o.leaseDurationSeconds, leaseRenewMs: o.leaseRenewMs };
    this.worker = new Worker(new URL('./lease-worker.js', import.meta.url), { workerData });
    this.worker.on('message', (m: FromLeaseWorker) => {
      if (m.op === 'tried') {
        const waiting = this.tried.get(m.i);
        this.tried.delete(m.i);
        for (const r of waiting ?? []) r();
      } else if (m.op === 'stats') {
        this.stats = m.stats;
        for (const r of this.statsWaiters.splice(0)) r(m.stats);
      }
    });
    // A worker that died takes every node's heartbeat with it; nothing waits forever on it.
    this.worker.on('exit', () => {
      this.exited = true;
      this.releaseAll();
    });
    this.worker.on('error', () => this.releaseAll());
  }

  /** Node i is alive: its Lease is renewed from now on; resolves once the first renewal was tried. */
  add(i: number, uid?: string): Promise<void> {
    return new Promise((resolve) => {
      const waiting = this.tried.get(i) ?? [];
      waiting.push(resolve);
      this.tried.set(i, waiting);
      this.send({ op: 'add', i, ...(uid !== undefined ? { uid } : {}) });
    });
  }

  /** Node i is stopped: its Lease goes stale, as a dead kubelet's. */
  remove(i: number): void {
    this.send({ op: 'remove', i });
  }

  /** The uid of node i's Node, the owner of its Lease. */
  setUid(i: number, uid: string): void {
    this.send({ op: 'uid', i, uid });
  }

  /** Every Lease from now on: this duration, renewed every renewMs (upstream: a quarter of the duration). */
  setDuration(leaseDurationSeconds: number, leaseRenewMs: number): void {
    this.send({ op: 'duration', leaseDurationSeconds, leaseRenewMs });
  }

  /** The worker's stats as of now rather than its last periodic report. */
  currentStats(): Promise<LeaseStats> {
    if (this.exited || this.closed) return Promise.resolve(this.stats);
    return new Promise((resolve) => {
      this.statsWaiters.push(resolve);
      this.send({ op: 'stats' });
    });
  }

  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      if (this.exited) return resolve();
      this.worker.once('exit', () => resolve());
      this.worker.on('message', (m: FromLeaseWorker) => {
        if (m.op === 'closed') void this.worker.terminate();
      });
      this.send({ op: 'close' });
    });
    return this.closed;
  }

  private send(m: ToLeaseWorker): void {
    if (this.closed && m.op !== 'close') return;
    this.worker.postMessage(m);
  }

  private releaseAll(): void {
    for (const r of this.statsWaiters.splice(0)) r(this.stats);
    for (const rs of this.tried.values()) for (const r of rs) r();
    this.tried.clear();
  }
}
