// The Lease renewals of every node of a hollow-nodes process, on a thread
// of their own with connections of their own. On the main thread they
// shared one event loop and one connection pool with the pod work of a
// thousand kubelets: starting 20,000 pods there queued renewals behind pod
// status writes for minutes, and nodes whose kubelets were perfectly alive
// went NotReady. Here a renewal waits only for other renewals (upstream's
// kubelet renews from a goroutine of its own, and its API server serves
// Leases at a priority level of their own).
//
// The main thread says which nodes are alive (add/remove) and what their
// Node's uid is (the Lease's owner); this thread walks them on one wheel as
// the IdleFleet did, node i at i/N of the renew interval.
import { parentPort, workerData } from 'node:worker_threads';
import type { ClientConfig } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest.js';
import { resourcePath } from '../client/paths.js';
import { nowMicroTime } from '../api/types.js';
import { NODE_LEASE_NAMESPACE, NodeLease, leaseRenewalBody } from '../kubelet/node/lease.js';
import { logger } from '../util/log.js';
import { IndexQueue, IndexWheel } from './index-wheel.js';
import { LeaseTransport, leaseTransportSupports } from './lease-transport.js';
import type { LeaseWorkerData, ToLeaseWorker, FromLeaseWorker, LeaseStats } from './lease-messages.js';

const ACTIVE = 1;
const BUSY = 2;
/**
 * Renewals in flight at most; a due node past that waits in a queue of numbers. Four per connection.
 * An HTTP/1.1 connection carries one request at a time, so the fleet renews at most CONNECTIONS ÷ round
 * trip: with 16 connections a busy API server answering in 30 ms held 1,000 nodes on a 1 s renewal to
 * about 300 renewals/s, and live nodes went NotReady. Upstream's kubelets each have a connection.
 */
const MAX_IN_FLIGHT = 256;
const CONNECTIONS = 64;
const STATS_EVERY_MS = 5_000;

const log = logger('kubelet');
const data = workerData as LeaseWorkerData;
const port = parentPort!;

/** Buffers cross postMessage as plain Uint8Arrays; the TLS options want Buffers again. */
function reviveConfig(c: ClientConfig): ClientConfig {
  const buf = (b: Uint8Array | undefined): Buffer | undefined => (b ? Buffer.from(b) : undefined);
  return { ...c, caData: buf(c.caData), certData: buf(c.certData), keyData: buf(c.keyData) };
}

const config = reviveConfig(data.clientConfig);
const USER_AGENT = 'k8ts/hollow-node-lease';
/** The first write of a Lease, and any renewal after a conflict or a failure (GET, then PUT or create). */
const client = new RestClient(config, { userAgent: USER_AGENT, qps: 0, burst: 1, maxSockets: CONNECTIONS });
/**
 * The steady renewals: a PUT of a Lease whose resourceVersion the worker knows, on connections of their own
 * (lease-transport.ts). A config it cannot serve (several servers, in-process) renews through the client.
 */
const fast = leaseTransportSupports(config) ? new LeaseTransport(config, { connections: CONNECTIONS, timeoutMs: 60_000, userAgent: USER_AGENT }) : undefined;
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true };
const n = data.count;
const flags = new Uint8Array(n);
const uid = new Array<string | undefined>(n).fill(undefined);
const rv = new Array<string | undefined>(n).fill(undefined);
/** When node i's Lease was last written (0: not since it was added). */
const lastOk = new Float64Array(n);
/** Nodes added whose first renewal the main thread awaits. */
const firstPending = new Set<number>();
const queue = new IndexQueue();
let inFlight = 0;
let active = 0;
const stats: LeaseStats = { live: 0, renewals: 0, failures: 0, maxGapMs: 0, windowMaxGapMs: 0, oldestMs: 0 };

let durationSeconds = data.leaseDurationSeconds;
let wheel = new IndexWheel(n, data.leaseRenewMs, 0, (i) => due(i));

function due(i: number): void {
  const f = flags[i]!;
  if (!(f & ACTIVE) || f & BUSY) return;
  flags[i] = f | BUSY;
  if (inFlight < MAX_IN_FLIGHT) start(i);
  else queue.push(i);
}

function start(i: number): void {
  inFlight++;
  void renew(i);
}

/**
 * The PUT a seeded NodeLease sends, without the client's request machinery; the new resourceVersion, or
 * undefined when the write did not happen. A conflict or a missing Lease goes the NodeLease's way (GET,
 * then PUT or create) at once, as upstream's renewal does; any other failure waits for the next interval.
 */
async function renewFast(transport: LeaseTransport, i: number, was: string): Promise<string | undefined> {
  const nodeName = data.namePrefix + i;
  let status: number;
  let body: string;
  try {
    ({ status, body } = await transport.put(resourcePath(LEASES, NODE_LEASE_NAMESPACE, nodeName), leaseRenewalBody(nodeName, was, uid[i], durationSeconds, nowMicroTime())));
  } catch (err) {
    log.warn({ node: nodeName, err: (err as Error).message }, 'failed to update lease');
    return undefined;
  }
  if (status === 200) {
    const written = (JSON.parse(body) as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    if (written) return written;
    log.warn({ node: nodeName }, 'lease update answered without a resourceVersion');
    return undefined;
  }
  if (status === 409 || status === 404) {
    const lease = new NodeLease({ nodeName, client, log }, durationSeconds, () => uid[i]);
    await lease.renew();
    return lease.resourceVersion;
  }
  log.warn({ node: nodeName, status, err: body.slice(0, 200) }, 'failed to update lease');
  return undefined;
}

async function renewOnce(i: number): Promise<string | undefined> {
  const was = rv[i];
  if (fast && was !== undefined) return renewFast(fast, i, was);
  const lease = new NodeLease({ nodeName: data.namePrefix + i, client, log }, durationSeconds, () => uid[i]);
  if (was !== undefined) lease.seed(was);
  await lease.renew();
  return lease.resourceVersion;
}

async function renew(i: number): Promise<void> {
  try {
    const written = await renewOnce(i);
    rv[i] = written;
    if (written === undefined) {
      stats.failures++;
    } else {
      stats.renewals++;
      const now = Date.now();
      // A gap counts only between two renewals of a node alive all along.
      if (lastOk[i]! > 0 && flags[i]! & ACTIVE) {
        const gap = now - lastOk[i]!;
        if (gap > stats.maxGapMs) stats.maxGapMs = gap;
        if (gap > stats.windowMaxGapMs) stats.windowMaxGapMs = gap;
      }
      lastOk[i] = flags[i]! & ACTIVE ? now : 0;
    }
  } finally {
    flags[i]! &= ~BUSY;
    if (firstPending.delete(i)) post({ op: 'tried', i });
    inFlight--;
    for (let next = queue.shift(); next !== undefined; next = inFlight < MAX_IN_FLIGHT ? queue.shift() : undefined) {
      if (flags[next]! & ACTIVE) {
        start(next);
        if (inFlight >= MAX_IN_FLIGHT) break;
      } else {
        flags[next]! &= ~BUSY;
      }
    }
  }
}

function post(m: FromLeaseWorker): void {
  port.postMessage(m);
}

function report(): void {
  const now = Date.now();
  let oldest = 0;
  for (let i = 0; i < n; i++) if (flags[i]! & ACTIVE && lastOk[i]! > 0) oldest = Math.max(oldest, now - lastOk[i]!);
  stats.live = active;
  stats.oldestMs = oldest;
  post({ op: 'stats', stats: { ...stats } });
}

const statsTimer = setInterval(() => {
  report();
  stats.windowMaxGapMs = 0;
}, STATS_EVERY_MS);
statsTimer.unref();

port.on('message', (m: ToLeaseWorker) => {
  switch (m.op) {
    case 'add':
      if (m.uid !== undefined) uid[m.i] = m.uid;
      if (!(flags[m.i]! & ACTIVE)) {
        flags[m.i]! |= ACTIVE;
        active++;
        lastOk[m.i] = 0;
        wheel.run();
      }
      // A starting kubelet renews at once, before its first interval has passed.
      firstPending.add(m.i);
      if (flags[m.i]! & BUSY) return;
      due(m.i);
      return;
    case 'remove':
      if (flags[m.i]! & ACTIVE) {
        flags[m.i]! &= ~ACTIVE;
        lastOk[m.i] = 0;
        if (--active === 0) wheel.stop();
      }
      if (firstPending.delete(m.i)) post({ op: 'tried', i: m.i });
      return;
    case 'duration':
      durationSeconds = m.leaseDurationSeconds;
      wheel.stop();
      // A new wheel starts its period now: every live node is renewed within one new period.
      wheel = new IndexWheel(n, m.leaseRenewMs, 0, (i) => due(i));
      if (active > 0) wheel.run();
      return;
    case 'uid':
      uid[m.i] = m.uid;
      return;
    case 'stats':
      report();
      return;
    case 'close':
      wheel.stop();
      clearInterval(statsTimer);
      client.close();
      fast?.close();
      post({ op: 'closed' });
      port.close();
      return;
  }
});
