import http from 'node:http';
import https from 'node:https';
import { resourceFor } from '../../api/scheme/resources.js';
import type { KubeObject } from '../../api/types.js';
import { logger } from '../../util/log.js';
import type { Registry } from '../handlers/context.js';
import { kubeletGet } from './kubelet-client.js';
import { podUsage, rate, type NodeScrape, type Usage } from './rates.js';
import { decodeScrape } from './scrape.js';

// What metrics-server does, inside the API server: every `resolution` it
// scrapes /metrics/resource of each Ready node's kubelet and keeps the last
// two scrapes per node, from which NodeMetrics and PodMetrics are computed
// on request. The loop starts on the first metrics request (an API server
// nobody asks for metrics does no scraping), takes its second scrape a
// second after the first so the first answer comes quickly, and stops again
// after a long idle spell.

const log = logger('apiserver').child({ part: 'metrics' });
const NODES = resourceFor('', 'v1', 'nodes')!;

export const DEFAULT_METRIC_RESOLUTION_MS = 15_000;
const FIRST_WINDOW_MS = 1_000;
const MAX_IN_FLIGHT = 64;

export interface MetricsOptions {
  /** metrics-server's --metric-resolution (15 s): how often kubelets are scraped. */
  resolutionMs?: number;
  /** Per-kubelet timeout (metrics-server: --kubelet-request-timeout 10 s; never above the resolution). */
  scrapeTimeoutMs?: number;
}

interface NodeState {
  last: NodeScrape;
  prev?: NodeScrape;
}

export interface NodeUsage {
  node: KubeObject;
  usage: Usage;
}

export interface PodUsage {
  pod: KubeObject;
  containers: Map<string, Usage>;
}

function isReady(node: KubeObject): boolean {
  const conds = ((node.status as any)?.conditions ?? []) as { type: string; status: string }[];
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

export class MetricsService {
  readonly resolutionMs: number;
  private readonly timeoutMs: number;
  private readonly nodes = new Map<string, NodeState>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 4 });
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private firstScrape?: Promise<void>;
  private lastUsed = 0;
  private closed = false;

  constructor(
    private readonly registry: Registry,
    o: MetricsOptions = {},
  ) {
    this.resolutionMs = o.resolutionMs ?? DEFAULT_METRIC_RESOLUTION_MS;
    this.timeoutMs = Math.min(o.scrapeTimeoutMs ?? 10_000, Math.max(this.resolutionMs, 1000));
  }

  /** Starts scraping if it is not running; resolves once there is at least one scrape. */
  async ready(): Promise<void> {
    this.lastUsed = Date.now();
    if (this.closed) return;
    if (!this.firstScrape) {
      log.info({ resolutionMs: this.resolutionMs }, 'scraping kubelets for resource metrics');
      this.firstScrape = this.tick();
      this.schedule(Math.min(FIRST_WINDOW_MS, this.resolutionMs));
    }
    await this.firstScrape;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      if (this.closed) return;
      // Idle for long: stop until someone asks again.
      if (Date.now() - this.lastUsed > Math.max(600_000, 20 * this.resolutionMs)) {
        log.info('no metrics requests for a while: scraping paused');
        this.firstScrape = undefined;
        this.nodes.clear();
        return;
      }
      void this.tick().finally(() => this.schedule(this.resolutionMs));
    }, ms);
    this.timer.unref();
  }

  /** One scrape of every Ready node (a scrape still running is waited for, not doubled). */
  tick(): Promise<void> {
    this.running ??= this.scrapeAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async scrapeAll(): Promise<void> {
    const start = Date.now();
    const all = (await this.registry.storeFor(NODES).list({})).items;
    const ready = all.filter(isReady);
    const names = new Set(all.map((n) => n.metadata.name!));
    for (const n of this.nodes.keys()) if (!names.has(n)) this.nodes.delete(n);
    let failed = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ready.length) {
        const node = ready[next++]!;
        const name = node.metadata.name!;
        try {
          const text = await kubeletGet(node, '/metrics/resource', { timeoutMs: this.timeoutMs, agent: this.agent, httpsAgent: this.httpsAgent, client: this.registry.kubeletClient });
          const scrape = decodeScrape(text, Date.now());
          const old = this.nodes.get(name);
          this.nodes.set(name, { last: scrape, prev: old?.last });
        } catch (err) {
          failed++;
          // metrics-server keeps nothing for a node it cannot scrape: no stale figures.
          this.nodes.delete(name);
          log.debug({ node: name, err: (err as Error).message }, 'failed to scrape node');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(MAX_IN_FLIGHT, ready.length) }, worker));
    log.debug({ nodes: ready.length, failed, ms: Date.now() - start }, 'scraped kubelets');
  }

  /** Usage of the named nodes (all when names is undefined) that have two points. */
  nodeUsage(nodes: KubeObject[]): NodeUsage[] {
    const out: NodeUsage[] = [];
    for (const node of nodes) {
      const st = this.nodes.get(node.metadata.name!);
      if (!st?.last.node) continue;
      const u = rate(st.last.node, st.prev?.node);
      if (u) out.push({ node, usage: u });
    }
    return out;
  }

  /** Usage of each given pod that is running on a scraped node and has figures for all its containers. */
  podUsage(pods: KubeObject[]): PodUsage[] {
    const out: PodUsage[] = [];
    for (const pod of pods) {
      const nodeName = (pod.spec as any)?.nodeName as string | undefined;
      if (!nodeName) continue;
      const st = this.nodes.get(nodeName);
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      const last = st?.last.pods.get(key);
      if (!st || !last) continue;
      const containers = podUsage(last, st.prev?.pods.get(key), st.prev?.at);
      if (containers) out.push({ pod, containers });
    }
    return out;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.agent.destroy();
    this.httpsAgent.destroy();
  }
}

const services = new WeakMap<Registry, MetricsService>();

/** The metrics service of an API server (one per registry), made with the server's options on first use. */
export function metricsServiceFor(registry: Registry, o?: MetricsOptions): MetricsService {
  let s = services.get(registry);
  if (!s) services.set(registry, (s = new MetricsService(registry, o)));
  return s;
}
