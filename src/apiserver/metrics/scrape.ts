import { parseSamples } from './prometheus.js';
import type { NodeScrape, Point } from './rates.js';

// One kubelet's /metrics/resource as points per container and for the node.

const FAMILIES = new Set([
  'container_cpu_usage_seconds_total',
  'container_memory_working_set_bytes',
  'container_start_time_seconds',
  'node_cpu_usage_seconds_total',
  'node_memory_working_set_bytes',
]);

export function decodeScrape(text: string, now: number): NodeScrape {
  const pods = new Map<string, Map<string, Point>>();
  const point = (ns: string, pod: string, container: string): Point => {
    const key = `${ns}/${pod}`;
    let m = pods.get(key);
    if (!m) pods.set(key, (m = new Map()));
    let p = m.get(container);
    if (!p) m.set(container, (p = { cpu: NaN, memory: NaN, ts: now }));
    return p;
  };
  const node: Point = { cpu: NaN, memory: NaN, ts: now };
  for (const s of parseSamples(text, FAMILIES)) {
    if (s.name.startsWith('node_')) {
      if (s.name === 'node_cpu_usage_seconds_total') {
        node.cpu = s.value;
        if (s.timestampMs) node.ts = s.timestampMs;
      } else node.memory = s.value;
      continue;
    }
    const { namespace, pod, container } = s.labels;
    if (!namespace || !pod || !container) continue;
    const p = point(namespace, pod, container);
    if (s.name === 'container_cpu_usage_seconds_total') {
      p.cpu = s.value;
      if (s.timestampMs) p.ts = s.timestampMs;
    } else if (s.name === 'container_memory_working_set_bytes') p.memory = s.value;
    else p.start = s.value * 1000;
  }
  // A container missing either figure is left out, as metrics-server does.
  for (const [key, m] of pods) {
    for (const [c, p] of m) if (Number.isNaN(p.cpu) || Number.isNaN(p.memory)) m.delete(c);
    if (!m.size) pods.delete(key);
  }
  return { node: Number.isNaN(node.cpu) || Number.isNaN(node.memory) ? undefined : node, pods, at: now };
}
