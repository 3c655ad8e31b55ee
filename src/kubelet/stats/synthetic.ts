import { createHash } from 'node:crypto';
import type { ContainerRuntime } from '../../runtime/interface.js';
import { LABEL_POD_UID } from '../../runtime/interface.js';
import { tryParseQuantity } from '../../api/quantity.js';
import type { Pod } from '../api-types.js';
import { sumUsage, type ContainerUsage, type PodUsage, type StatsProvider, type StatsSnapshot } from './types.js';

// Figures for hollow nodes, whose containers run on timers and use nothing:
// each running container uses a fixed share (20–80 %, fixed per container
// by a hash of its pod uid and name) of its requests, so the numbers are
// steady and believable; CPU counters grow at exactly that rate from the
// container's start. The node reports its pods plus a small base load, its
// counter integrated over time so it only ever grows.

const DEFAULT_CPU_MILLI = 5;
const DEFAULT_MEMORY_BYTES = 16 * 1024 * 1024;
const NODE_BASE_CPU_MILLI = 50;
const NODE_BASE_MEMORY_BYTES = 256 * 1024 * 1024;

export function shareOf(uid: string, container: string): number {
  const h = createHash('sha1').update(`${uid}/${container}`).digest().readUInt32BE(0);
  return 0.2 + (0.6 * h) / 0xffffffff;
}

function request(c: { resources?: { requests?: Record<string, string | number> } }, name: 'cpu' | 'memory'): number | undefined {
  const v = c.resources?.requests?.[name];
  if (v === undefined) return undefined;
  const q = tryParseQuantity(v);
  if (typeof q === 'string') return undefined;
  return name === 'cpu' ? q.milliValue() : q.value();
}

/** The steady usage of one container: CPU in millicores, memory in bytes. */
export function syntheticRates(pod: Pod, container: string): { cpuMilli: number; memoryBytes: number } {
  const spec = pod.spec.containers.find((c) => c.name === container) ?? {};
  const f = shareOf(pod.metadata.uid ?? '', container);
  return {
    cpuMilli: (request(spec, 'cpu') ?? DEFAULT_CPU_MILLI) * f,
    memoryBytes: Math.round((request(spec, 'memory') ?? DEFAULT_MEMORY_BYTES) * f),
  };
}

export interface SyntheticStatsOptions {
  nodeName: string;
  runtime: ContainerRuntime;
  pods: () => Pod[];
  now?: () => number;
}

export class SyntheticStatsProvider implements StatsProvider {
  private readonly started: number;
  private nodeCpuNanos = 0;
  private last: number;
  private lastRateMilli = NODE_BASE_CPU_MILLI;

  constructor(private readonly o: SyntheticStatsOptions) {
    this.started = this.now();
    this.last = this.started;
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  async snapshot(): Promise<StatsSnapshot> {
    const now = this.now();
    const pods = this.o.pods();
    const byUid = new Map(pods.map((p) => [p.metadata.uid!, p]));
    const running = (await this.o.runtime.listContainers({ state: 'CONTAINER_RUNNING' })).filter((c) => byUid.has(c.labels[LABEL_POD_UID] ?? ''));
    const perPod = new Map<string, ContainerUsage[]>();
    let rateMilli = NODE_BASE_CPU_MILLI;
    let memory = NODE_BASE_MEMORY_BYTES;
    for (const c of running) {
      const uid = c.labels[LABEL_POD_UID]!;
      const r = syntheticRates(byUid.get(uid)!, c.metadata.name);
      const start = Math.min(c.createdAt, now);
      rateMilli += r.cpuMilli;
      memory += r.memoryBytes;
      const list = perPod.get(uid) ?? [];
      list.push({ name: c.metadata.name, startMs: start, timestampMs: now, cpuNanos: Math.round(r.cpuMilli * 1000 * (now - start)), memoryWorkingSetBytes: r.memoryBytes, memoryUsageBytes: r.memoryBytes });
      perPod.set(uid, list);
    }
    // The node's counter grows by the load since the last reading (the previous rate until now), so it never goes back when pods leave.
    this.nodeCpuNanos += Math.round(this.lastRateMilli * 1000 * (now - this.last));
    this.last = now;
    this.lastRateMilli = rateMilli;
    const out: PodUsage[] = [];
    for (const [uid, containers] of perPod) {
      const p = byUid.get(uid)!;
      containers.sort((a, b) => a.name.localeCompare(b.name));
      out.push({ namespace: p.metadata.namespace ?? 'default', name: p.metadata.name!, uid, startMs: Math.min(...containers.map((c) => c.startMs)), containers, total: sumUsage(containers, now) });
    }
    return { nodeName: this.o.nodeName, node: { cpuNanos: this.nodeCpuNanos, memoryWorkingSetBytes: memory, memoryUsageBytes: memory, timestampMs: now, startMs: this.started }, pods: out, errors: 0 };
  }
}
