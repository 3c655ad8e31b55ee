// What the main thread of a hollow-nodes process and its Lease worker tell
// each other (lease-worker.ts, lease-renewer.ts).
import type { ClientConfig } from '../client/kubeconfig.js';

export interface LeaseWorkerData {
  clientConfig: ClientConfig;
  count: number;
  /** Node i is <namePrefix><i>. */
  namePrefix: string;
  leaseDurationSeconds: number;
  leaseRenewMs: number;
}

export type ToLeaseWorker =
  | { op: 'add'; i: number; uid?: string }
  | { op: 'remove'; i: number }
  | { op: 'uid'; i: number; uid: string }
  /**
   * From now on every Lease says this duration and is renewed every renewMs, as a rolling restart of the
   * kubelets with a new nodeLeaseDurationSeconds would have it.
   */
  | { op: 'duration'; leaseDurationSeconds: number; leaseRenewMs: number }
  /** Report the stats now (the periodic report is up to 5 s old). */
  | { op: 'stats' }
  | { op: 'close' };

/** How the renewals went, as the worker saw them. */
export interface LeaseStats {
  /** Nodes renewing now. */
  live: number;
  /** Lease writes that succeeded / failed, since the start. */
  renewals: number;
  failures: number;
  /** Longest time between two successful renewals of one live node, since the start and in the last 5 s. */
  maxGapMs: number;
  windowMaxGapMs: number;
  /** Longest a live node has gone without a renewal, as of the report. */
  oldestMs: number;
}

export type FromLeaseWorker = { op: 'tried'; i: number } | { op: 'stats'; stats: LeaseStats } | { op: 'closed' };
