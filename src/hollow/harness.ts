// N hollow nodes in one process, as kubemark's hollow-node and kwok: each
// node is a real kubelet, but everything that can be shared is: one API
// client (one keep-alive agent), one all-pods watch fanned out by node name,
// one event recorder, one fake runtime whose containers "run" on timers, and
// one ticker wheel that spreads every node's Lease renewal and status
// computation evenly over the period instead of in bursts.
import { mkdir } from 'node:fs/promises';
import { EventRecorder } from '../client/events/recorder.js';
import { Informer } from '../client/informer.js';
import { RestClient } from '../client/rest.js';
import type { ClientConfig } from '../client/kubeconfig.js';
import type { Pod } from '../kubelet/api-types.js';
import { SharedPodSource } from '../kubelet/pod/source.js';
import { FakeRuntime } from '../runtime/fake/index.js';
import { logger } from '../util/log.js';
import { HollowNode, type HollowHost } from './hollow-node.js';
import { IdleFleet } from './idle-fleet.js';
import { LeaseRenewer } from './lease-renewer.js';
import { HollowNodeCache } from './node-cache.js';
import type { NodeFacts } from '../kubelet/node/node-object.js';
import { kubeletNodeFacts, NodeAgent } from '../kubelet/node/agent.js';
import { filesystemBytes, machineInfo, type MachineInfo } from '../kubelet/node/machine.js';
import type { KubeletOptions } from '../kubelet/options.js';
import type { RuntimeVersion } from '../runtime/interface.js';
import { loopbackNodeAddress, nodeAddress } from './addresses.js';
import { SmoothTicker } from './smooth-ticker.js';
import { hollowServingTls } from './serving-tls.js';
import type { KubeletServingTls } from '../kubelet/server/auth.js';
import { WatchedObjects } from '../kubelet/volumes/watched-objects.js';

const log = logger('hollow');
/** One logger for every idle node's agent (its lines name the node); a child logger each would cost more than the agent. */
const kubeletLog = logger('kubelet');
const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };

export interface HollowOptions {
  clientConfig: ClientConfig;
  count: number;
  /** Node names are <prefix><index>, e.g. hollow-node-0 (default "hollow-node-"). */
  namePrefix?: string;
  /** Pause between starting two nodes (default 0: as fast as registration goes). */
  startDelayMs?: number;
  /** nodeLeaseDurationSeconds (default 40; renewals every quarter of it, upstream's 10 s). */
  leaseDurationSeconds?: number;
  /** Where kubelets keep their (few) files; one directory shared by all nodes. */
  rootDir: string;
  /** What each hollow node reports as capacity (default kubemark's: 4 CPUs, 16Gi, 110 pods). */
  capacity?: Record<string, string>;
  /** Time the fake runtime takes to "start" a container (default 0). */
  containerStartDelayMs?: number;
  /** Client-side request rate limit for the shared client (default: none; the API server's own limits apply). */
  qps?: number;
  /**
   * Run a kubelet server per node on a loopback address of its own
   * (127.96.x.y, reported as the InternalIP), serving synthetic
   * /metrics/resource and /stats/summary so metrics.k8s.io covers hollow
   * nodes. Default off: 100.96.x.y addresses and no server. The servers speak
   * HTTPS (a self-signed pair; clients must chain to the kubeconfig's CA) when
   * the kubeconfig names a CA, plain HTTP otherwise.
   */
  kubeletServers?: boolean;
  /** The servers' certificate and client CA (upstream --tls-cert-file etc.); default a self-signed pair. */
  servingTls?: KubeletServingTls;
}

export interface HollowNodeInfo {
  name: string;
  state: HollowNode['state'];
  startedAt?: string;
  error?: string;
  pods: number;
}

/** Nodes registering at once when no start delay is given. */
const START_CONCURRENCY = 64;

/** Enough to keep one API server busy. */
const HOLLOW_CONNECTIONS = 16;

/** For the pod and Node caches' lists; their watches hold connections of their own. */
const WATCH_CONNECTIONS = 4;

export class HollowCluster {
  readonly nodes = new Map<string, HollowNode>();
  readonly client: RestClient;
  private readonly watchClient: RestClient;
  private readonly objectsClient: RestClient;
  private readonly objects: WatchedObjects;
  readonly runtime: FakeRuntime;
  private readonly informer: Informer<Pod>;
  private readonly source: SharedPodSource;
  private readonly recorder: EventRecorder;
  private readonly ticker = new SmoothTicker();
  private closing = false;
  private servingTls: KubeletServingTls | undefined;

  constructor(private readonly opts: HollowOptions) {
    // Thousands of kubelets share a few connections: one TLS connection per caller in flight
    // (a thousand at registration) cost ~200 KB of native memory each, most never given back.
    this.client = new RestClient(opts.clientConfig, { component: 'hollow-node', qps: opts.qps ?? 0, burst: opts.qps ? Math.max(1, opts.qps * 2) : 1, maxSockets: HOLLOW_CONNECTIONS });
    this.runtime = new FakeRuntime({ podCIDR: '100.64.0.0/11', startDelayMs: opts.containerStartDelayMs });
    // The shared watches (and their re-lists) on connections of their own, not queued behind a thousand kubelets'
    // writes: with one pool, the failover bench at 1,000 nodes saw this process's pod cache stop at 11,823 of
    // 30,000 pods for minutes, so 18,000 bound pods were never started.
    this.watchClient = new RestClient(opts.clientConfig, { component: 'hollow-node', qps: 0, burst: 1, maxSockets: WATCH_CONNECTIONS });
    this.informer = new Informer<Pod>(this.watchClient, PODS, {});
    // One watch per ConfigMap or Secret that pods' volumes use, for the whole fleet (as the pod watch is), each on a
    // connection of its own: a watch holds its connection, and a fleet's pods use few distinct objects.
    this.objectsClient = new RestClient(opts.clientConfig, { component: 'hollow-node', qps: 0, burst: 1 });
    this.objects = new WatchedObjects(this.objectsClient);
    this.source = new SharedPodSource(this.informer);
    this.recorder = new EventRecorder(this.client, { component: 'kubelet', host: 'hollow-nodes' });
    const prefix = opts.namePrefix ?? 'hollow-node-';
    const leaseSeconds = opts.leaseDurationSeconds ?? 40;
    const leaseRenewMs = (leaseSeconds * 1000) / 4;
    const nodeLabels = { 'node.k8ts.io/hollow': 'true' };
    // A kubelet server per node needs the kubelet itself, so those nodes never idle.
    this.nodeCache = opts.kubeletServers ? undefined : new HollowNodeCache(this.watchClient, 'node.k8ts.io/hollow=true');
    const nodeCache = this.nodeCache;
    // With a fleet every node's Lease is renewed off the main thread, where pod work cannot hold it up.
    this.leases = opts.kubeletServers ? undefined : new LeaseRenewer({ clientConfig: opts.clientConfig, count: opts.count, namePrefix: prefix, leaseDurationSeconds: leaseSeconds, leaseRenewMs });
    const leases = this.leases;
    this.fleet = opts.kubeletServers
      ? undefined
      : new IdleFleet({
          count: opts.count,
          client: this.client,
          runtime: this.runtime,
          recorder: this.recorder,
          log: kubeletLog,
          nameOf: (i) => `${prefix}${i}`,
          facts: (i) => this.facts(i),
          leaseDurationSeconds: leaseSeconds,
          leaseRenewMs,
          statusUpdateMs: 10_000,
          statusReportMs: 300_000,
          cachedNode: (name) => nodeCache?.get(name),
          leases,
        });
    this.source.onUnsubscribed = (name) => void this.nodes.get(name)?.wake();
    const capacity = opts.capacity ?? { cpu: '4', memory: '16Gi', pods: '110' };
    const host: HollowHost = {
      options: (i: number): KubeletOptions => ({
        client: this.client,
        nodeName: `${prefix}${i}`,
        runtime: this.runtime,
        rootDir: opts.rootDir,
        kubeletPort: opts.kubeletServers ? 0 : null,
        tls: this.servingTls,
        address: opts.kubeletServers ? loopbackNodeAddress(i) : nodeAddress(i),
        podSource: this.source,
        recorder: this.recorder,
        objects: this.objects,
        ticker: this.ticker,
        lightweight: true,
        nodeLeaseDurationSeconds: leaseSeconds,
        leaseRenewInterval: leaseRenewMs,
        capacity,
        nodeLabels,
      }),
      runtime: this.runtime,
      fleet: this.fleet,
      leases,
      hasPods: (name) => this.source.hasPods(name),
      agent: async (i, state) => {
        const name = `${prefix}${i}`;
        const ctx = { nodeName: name, client: this.client, runtime: this.runtime, recorder: this.recorder, log: kubeletLog };
        const agent = new NodeAgent(ctx, await this.facts(i), { ticker: this.ticker, statusUpdateMs: 10_000, statusReportMs: 300_000, leaseDurationSeconds: leaseSeconds, leaseRenewMs, renewLease: !leases });
        if (state.reporter) agent.reporter.restore(state.reporter);
        if (state.leaseResourceVersion) agent.lease.seed(state.leaseResourceVersion);
        return agent;
      },
    };
    this.host = host;
    for (let i = 0; i < opts.count; i++) {
      const name = `${prefix}${i}`;
      this.nodes.set(name, new HollowNode(name, i, host));
    }
  }

  private readonly fleet?: IdleFleet;
  /** The Lease worker's handle (absent with kubelet servers, whose kubelets renew their own). */
  readonly leases?: LeaseRenewer;
  private readonly nodeCache?: HollowNodeCache;
  private readonly host: HollowHost;

  /** What node i reports: the shared machine facts with its own name and address. */
  private async facts(i: number): Promise<NodeFacts> {
    const o = this.host.options(i);
    return kubeletNodeFacts(o, { ...(await this.machine()), address: o.address! });
  }

  private found?: Promise<{ machine: MachineInfo; storageBytes: number; runtime: RuntimeVersion }>;

  /** What every node's kubelet would find: one machine, one root dir, one runtime. */
  private machine(): Promise<{ machine: MachineInfo; storageBytes: number; runtime: RuntimeVersion }> {
    this.found ??= (async () => ({ machine: await machineInfo(), storageBytes: await filesystemBytes(this.opts.rootDir), runtime: await this.runtime.version() }))();
    return this.found;
  }

  /** Starts the shared watch, then every node (spaced by startDelayMs). */
  async start(onProgress?: (started: number) => void): Promise<void> {
    await mkdir(this.opts.rootDir, { recursive: true });
    if (this.opts.kubeletServers && !this.servingTls) this.servingTls = this.opts.servingTls ?? (await hollowServingTls(this.opts.clientConfig, this.opts.count));
    this.informer.start();
    this.nodeCache?.start();
    let n = 0;
    const delay = this.opts.startDelayMs ?? 0;
    if (delay > 0) {
      const starts: Promise<void>[] = [];
      for (const node of this.nodes.values()) {
        if (this.closing) break;
        starts.push(node.start().then(() => onProgress?.(++n)));
        await new Promise((r) => setTimeout(r, delay));
      }
      await Promise.all(starts);
    } else {
      // A start resolves once the node has tried to register and to create its Lease: a few dozen at a time keep registration
      // from flooding the API server (and this process's heap) with thousands of creates at once.
      const queue = [...this.nodes.values()];
      const lane = async (): Promise<void> => {
        for (let node = queue.shift(); node && !this.closing; node = queue.shift()) {
          await node.start();
          onProgress?.(++n);
        }
      };
      await Promise.all(Array.from({ length: START_CONCURRENCY }, lane));
    }
    log.info({ nodes: this.nodes.size }, 'hollow nodes started');
  }

  list(): HollowNodeInfo[] {
    const podsByNode = new Map<string, number>();
    for (const p of this.informer.store.list()) {
      const n = p.spec?.nodeName;
      if (n) podsByNode.set(n, (podsByNode.get(n) ?? 0) + 1);
    }
    return [...this.nodes.values()].map((n) => ({
      name: n.name,
      state: n.state,
      ...(n.startedAt ? { startedAt: new Date(n.startedAt).toISOString() } : {}),
      ...(n.lastError ? { error: n.lastError } : {}),
      pods: podsByNode.get(n.name) ?? 0,
    }));
  }

  async stopNode(name: string): Promise<boolean> {
    const n = this.nodes.get(name);
    if (!n) return false;
    await n.stop();
    return true;
  }

  async startNode(name: string): Promise<boolean> {
    const n = this.nodes.get(name);
    if (!n) return false;
    await n.start();
    return true;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.nodes.values()].map((n) => n.stop()));
    this.fleet?.stop();
    await this.leases?.close();
    await this.informer.stop();
    await this.nodeCache?.stop();
    await this.objects.stop();
    await this.recorder.shutdown();
    await this.runtime.close();
    this.client.close();
    this.watchClient.close();
    this.objectsClient.close();
  }
}

export async function startHollowNodes(opts: HollowOptions, onProgress?: (started: number) => void): Promise<HollowCluster> {
  const cluster = new HollowCluster(opts);
  await cluster.start(onProgress);
  return cluster;
}
