import { tryParseQuantity } from '../../api/quantity.js';
import type { RestClient } from '../../client/rest.js';
import type { PodMetrics } from './replica-calculator.js';

// Resource metrics through the API server's metrics.k8s.io, as upstream's
// resourceMetricsClient: one PodMetrics list per namespace and selector; a
// pod counts only when every (selected) container reports the resource.

interface PodMetricsList {
  items?: {
    metadata: { name: string };
    timestamp: string;
    window: string;
    containers?: { name: string; usage?: Record<string, string> }[];
  }[];
}

/** A Go duration such as "15s" or "1m0.5s" in ms. */
function durationMs(s: string): number {
  let ms = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(h|m(?!s)|s|ms)/g)) ms += Number(m[1]) * ({ h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as Record<string, number>)[m[2]!]!;
  return ms;
}

export async function getResourceMetric(client: RestClient, resource: string, namespace: string, selector: string, container?: string): Promise<PodMetrics> {
  const q = new URLSearchParams();
  if (selector) q.set('labelSelector', selector);
  const list = await client.request<PodMetricsList>('GET', `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods${q.size ? `?${q}` : ''}`);
  const items = list.items ?? [];
  if (!items.length) throw new Error('no metrics returned from resource metrics API');
  const out: PodMetrics = new Map();
  for (const m of items) {
    let sum = 0;
    let missing = false;
    for (const c of m.containers ?? []) {
      if (container && c.name !== container) continue;
      const v = c.usage?.[resource];
      const qv = v === undefined ? undefined : tryParseQuantity(v);
      if (qv === undefined || typeof qv === 'string') {
        missing = true;
        break;
      }
      sum += qv.milliValue();
    }
    if (!missing) out.set(m.metadata.name, { value: sum, timestamp: Date.parse(m.timestamp), windowMs: durationMs(m.window) });
  }
  return out;
}
