import type http from 'node:http';
import type { ContainerRuntime } from '../../runtime/interface.js';
import type { Pod } from '../api-types.js';
import { RuntimeStatsProvider } from '../stats/runtime-stats.js';
import { SyntheticStatsProvider } from '../stats/synthetic.js';
import type { StatsProvider, StatsSnapshot, Usage } from '../stats/types.js';

// The kubelet's resource endpoints, as upstream serves them:
// /metrics/resource (Prometheus text with the STABLE resource metrics that
// metrics-server, and here the API server, scrapes) and /stats/summary (the
// stats/v1alpha1 Summary API). Kept apart from server.ts so the rest of the
// kubelet server can change without touching these routes.

export interface StatsRouteOptions {
  nodeName: string;
  runtime: ContainerRuntime;
  /** The pods this kubelet runs (their specs give hollow nodes their figures). */
  pods: () => Pod[];
  /** Figures from the pods' requests instead of cgroups (hollow nodes, the fake runtime). */
  synthetic?: boolean;
  /** Replaces the figures' source (tests). */
  provider?: StatsProvider;
}

export type StatsHandler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => boolean;

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: { labels: Record<string, string>; value: number; ts?: number }[];
}

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Prometheus text exposition format 0.0.4. */
export function renderPrometheus(families: Family[]): string {
  let out = '';
  for (const f of families) {
    out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.samples) {
      const labels = Object.entries(s.labels);
      const l = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
      out += `${f.name}${l} ${s.value}${s.ts !== undefined ? ` ${Math.round(s.ts)}` : ''}\n`;
    }
  }
  return out;
}

/** The families of upstream's /metrics/resource for one snapshot. */
export function resourceMetrics(s: StatsSnapshot): Family[] {
  const fam = (name: string, help: string, type: Family['type']): Family => ({ name, help: `[STABLE] ${help}`, type, samples: [] });
  const cCpu = fam('container_cpu_usage_seconds_total', 'Cumulative cpu time consumed by the container in core-seconds', 'counter');
  const cMem = fam('container_memory_working_set_bytes', 'Current working set of the container in bytes', 'gauge');
  const cStart = fam('container_start_time_seconds', 'Start time of the container since unix epoch in seconds', 'gauge');
  const nCpu = fam('node_cpu_usage_seconds_total', 'Cumulative cpu time consumed by the node in core-seconds', 'counter');
  const nMem = fam('node_memory_working_set_bytes', 'Current working set of the node in bytes', 'gauge');
  const pCpu = fam('pod_cpu_usage_seconds_total', 'Cumulative cpu time consumed by the pod in core-seconds', 'counter');
  const pMem = fam('pod_memory_working_set_bytes', 'Current working set of the pod in bytes', 'gauge');
  const err = fam('resource_scrape_error', '1 if there was an error while getting container metrics, 0 otherwise', 'gauge');
  for (const p of s.pods) {
    for (const c of p.containers) {
      const labels = { container: c.name, namespace: p.namespace, pod: p.name };
      cCpu.samples.push({ labels, value: c.cpuNanos / 1e9, ts: c.timestampMs });
      cMem.samples.push({ labels, value: c.memoryWorkingSetBytes, ts: c.timestampMs });
      cStart.samples.push({ labels, value: c.startMs / 1000, ts: c.startMs });
    }
    const labels = { namespace: p.namespace, pod: p.name };
    pCpu.samples.push({ labels, value: p.total.cpuNanos / 1e9, ts: p.total.timestampMs });
    pMem.samples.push({ labels, value: p.total.memoryWorkingSetBytes, ts: p.total.timestampMs });
  }
  nCpu.samples.push({ labels: {}, value: s.node.cpuNanos / 1e9, ts: s.node.timestampMs });
  nMem.samples.push({ labels: {}, value: s.node.memoryWorkingSetBytes, ts: s.node.timestampMs });
  err.samples.push({ labels: {}, value: s.errors > 0 ? 1 : 0 });
  return [cCpu, cMem, cStart, nCpu, nMem, pCpu, pMem, err];
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

function cpuStats(u: Usage, prev: Usage | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { time: iso(u.timestampMs), usageCoreNanoSeconds: Math.round(u.cpuNanos) };
  if (prev && u.timestampMs > prev.timestampMs && u.cpuNanos >= prev.cpuNanos) {
    out.usageNanoCores = Math.round(((u.cpuNanos - prev.cpuNanos) / (u.timestampMs - prev.timestampMs)) * 1e6);
  }
  return out;
}

const memoryStats = (u: Usage): Record<string, unknown> => ({ time: iso(u.timestampMs), usageBytes: u.memoryUsageBytes, workingSetBytes: u.memoryWorkingSetBytes });

/** The stats/v1alpha1 Summary: usageNanoCores comes from the previous snapshot, as cAdvisor's rate does from its last housekeeping. */
export function summary(s: StatsSnapshot, prev: StatsSnapshot | undefined): unknown {
  const prevPods = new Map((prev?.pods ?? []).map((p) => [p.uid, p]));
  return {
    node: {
      nodeName: s.nodeName,
      startTime: iso(s.node.startMs),
      cpu: cpuStats(s.node, prev?.node),
      memory: memoryStats(s.node),
    },
    pods: s.pods.map((p) => {
      const pp = prevPods.get(p.uid);
      return {
        podRef: { name: p.name, namespace: p.namespace, uid: p.uid },
        startTime: iso(p.startMs),
        containers: p.containers.map((c) => {
          const pc = pp?.containers.find((x) => x.name === c.name && x.startMs === c.startMs);
          return { name: c.name, startTime: iso(c.startMs), cpu: cpuStats(c, pc), memory: memoryStats(c) };
        }),
        cpu: cpuStats(p.total, pp?.total),
        memory: memoryStats(p.total),
      };
    }),
  };
}

export function statsProvider(o: StatsRouteOptions): StatsProvider {
  if (o.provider) return o.provider;
  return o.synthetic ? new SyntheticStatsProvider(o) : new RuntimeStatsProvider(o);
}

/** Answers GET /metrics/resource and /stats/summary; false for any other path. */
export function statsRoutes(o: StatsRouteOptions): StatsHandler {
  const provider = statsProvider(o);
  let previous: StatsSnapshot | undefined;
  const serve = async (res: http.ServerResponse, path: string): Promise<void> => {
    try {
      const snap = await provider.snapshot();
      if (path === '/metrics/resource') {
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(renderPrometheus(resourceMetrics(snap)));
      } else {
        const body = JSON.stringify(summary(snap, previous), null, 2);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
      }
      // Rates need a base at least a second old, or they are noise.
      if (!previous || snap.node.timestampMs - previous.node.timestampMs >= 1000) previous = snap;
    } catch (err) {
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`failed to get stats: ${(err as Error).message}`);
    }
  };
  return (req, res, url) => {
    const path = url.pathname.replace(/\/+$/, '');
    if (path !== '/metrics/resource' && path !== '/stats/summary' && path !== '/stats') return false;
    if (req.method !== 'GET') {
      res.writeHead(405, { 'Content-Type': 'text/plain; charset=utf-8' }).end('405 method not allowed\n');
      return true;
    }
    void serve(res, path === '/metrics/resource' ? path : '/stats/summary');
    return true;
  };
}
