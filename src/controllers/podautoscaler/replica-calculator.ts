import { tryParseQuantity } from '../../api/quantity.js';
import type { Pod } from '../shared/types.js';

// Upstream's replica calculator for resource metrics: pods are grouped into
// ready, unready (pending, or CPU samples taken too close to a readiness
// change), missing (no metrics) and ignored (deleted, failed); the usage
// ratio against the target decides, with the tolerance, whether to move;
// missing and unready pods are then assumed at the least convenient value
// for the direction of the move, and a move that would change direction is
// dropped. All figures are milli-units, as upstream's MilliValue().

export interface PodMetric {
  /** Milli-units (millicores, or milli-bytes for memory). */
  value: number;
  timestamp: number;
  windowMs: number;
}

export type PodMetrics = Map<string, PodMetric>;

export interface CalculatorOptions {
  tolerance: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period (5 min). */
  cpuInitializationPeriodMs: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay (30 s). */
  initialReadinessDelayMs: number;
  now?: () => number;
}

export class CalculationError extends Error {}

interface Groups {
  readyPodCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

export function groupPods(pods: Pod[], metrics: PodMetrics, resource: string, o: CalculatorOptions): Groups {
  const now = o.now?.() ?? Date.now();
  const g: Groups = { readyPodCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = pod.metadata.name!;
    if (pod.metadata.deletionTimestamp || pod.status?.phase === 'Failed') {
      g.ignored.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      g.unready.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missing.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const cond = pod.status?.conditions?.find((c) => c.type === 'Ready');
      const start = Date.parse(pod.status?.startTime ?? '');
      let unready: boolean;
      if (!cond || Number.isNaN(start)) unready = true;
      else {
        const transition = Date.parse(cond.lastTransitionTime ?? '') || 0;
        if (start + o.cpuInitializationPeriodMs > now) {
          // Within the start-up period: trust the sample only if the pod is ready and a whole window passed since it turned so.
          unready = cond.status === 'False' || metric.timestamp < transition + metric.windowMs;
        } else {
          // Later: ignore only a pod that has never been ready.
          unready = cond.status === 'False' && start + o.initialReadinessDelayMs > transition;
        }
      }
      if (unready) {
        g.unready.add(name);
        continue;
      }
    }
    g.readyPodCount++;
  }
  return g;
}

/** The pods' summed requests of a resource (milli-units); upstream refuses pods with a container that has none. */
export function podRequests(pods: Pod[], resource: string, container?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.spec?.containers ?? []) {
      if (container && c.name !== container) continue;
      const v = (c as { resources?: { requests?: Record<string, string | number> } }).resources?.requests?.[resource];
      const q = v === undefined ? undefined : tryParseQuantity(v);
      if (q === undefined || typeof q === 'string') throw new CalculationError(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name}`);
      sum += q.milliValue();
    }
    out.set(pod.metadata.name!, sum);
  }
  return out;
}

export function utilizationRatio(metrics: PodMetrics, requests: Map<string, number>, target: number): { ratio: number; utilization: number; rawAverage: number } {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let entries = 0;
  for (const [name, m] of metrics) {
    const r = requests.get(name);
    if (r === undefined) continue;
    metricsTotal += m.value;
    requestsTotal += r;
    entries++;
  }
  if (requestsTotal === 0) throw new CalculationError('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / target, utilization, rawAverage: Math.trunc(metricsTotal / entries) };
}

function usageRatio(metrics: PodMetrics, target: number): { ratio: number; usage: number } {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const usage = Math.trunc(total / metrics.size);
  return { ratio: usage / target, usage };
}

export interface ResourceProposal {
  replicas: number;
  /** Percent of requests (Utilization targets). */
  utilization: number;
  /** Average per pod, milli-units. */
  rawAverage: number;
}

function prepare(pods: Pod[], metrics: PodMetrics, resource: string, o: CalculatorOptions): Groups {
  if (!pods.length) throw new CalculationError('no pods returned by selector while calculating replica count');
  const g = groupPods(pods, metrics, resource, o);
  for (const n of g.ignored) metrics.delete(n);
  for (const n of g.unready) metrics.delete(n);
  if (!metrics.size) throw new CalculationError('did not receive metrics for targeted pods (pods might be unready)');
  return g;
}

/** GetResourceReplicas: a Utilization target. `metrics` is consumed. */
export function resourceReplicas(currentReplicas: number, targetUtilization: number, resource: string, pods: Pod[], metrics: PodMetrics, o: CalculatorOptions, container?: string): ResourceProposal {
  const g = prepare(pods, metrics, resource, o);
  const requests = podRequests(pods, resource, container);
  const first = utilizationRatio(metrics, requests, targetUtilization);
  const result = (replicas: number): ResourceProposal => ({ replicas, utilization: first.utilization, rawAverage: first.rawAverage });
  const scaleUpWithUnready = g.unready.size > 0 && first.ratio > 1;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (Math.abs(1 - first.ratio) <= o.tolerance) return result(currentReplicas);
    return result(Math.ceil(first.ratio * g.readyPodCount));
  }
  if (g.missing.size) {
    // Scale-down: missing pods count as using their full request (or the target, when above 100 %); scale-up: as using nothing.
    const fallback = Math.max(100, targetUtilization);
    for (const n of g.missing) metrics.set(n, { value: first.ratio < 1 ? Math.trunc(((requests.get(n) ?? 0) * fallback) / 100) : 0, timestamp: 0, windowMs: 0 });
  }
  if (scaleUpWithUnready) for (const n of g.unready) metrics.set(n, { value: 0, timestamp: 0, windowMs: 0 });
  const next = utilizationRatio(metrics, requests, targetUtilization).ratio;
  if (Math.abs(1 - next) <= o.tolerance || (first.ratio < 1 && next > 1) || (first.ratio > 1 && next < 1)) return result(currentReplicas);
  const replicas = Math.ceil(next * metrics.size);
  if ((next < 1 && replicas > currentReplicas) || (next > 1 && replicas < currentReplicas)) return result(currentReplicas);
  return result(replicas);
}

/** GetRawResourceReplicas: an AverageValue target (milli-units). `metrics` is consumed. */
export function rawResourceReplicas(currentReplicas: number, targetAverage: number, resource: string, pods: Pod[], metrics: PodMetrics, o: CalculatorOptions): { replicas: number; usage: number } {
  const g = prepare(pods, metrics, resource, o);
  const first = usageRatio(metrics, targetAverage);
  const result = (replicas: number): { replicas: number; usage: number } => ({ replicas, usage: first.usage });
  const scaleUpWithUnready = g.unready.size > 0 && first.ratio > 1;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (Math.abs(1 - first.ratio) <= o.tolerance) return result(currentReplicas);
    return result(Math.ceil(first.ratio * g.readyPodCount));
  }
  for (const n of g.missing) metrics.set(n, { value: first.ratio < 1 ? targetAverage : 0, timestamp: 0, windowMs: 0 });
  if (scaleUpWithUnready) for (const n of g.unready) metrics.set(n, { value: 0, timestamp: 0, windowMs: 0 });
  const next = usageRatio(metrics, targetAverage).ratio;
  if (Math.abs(1 - next) <= o.tolerance || (first.ratio < 1 && next > 1) || (first.ratio > 1 && next < 1)) return result(currentReplicas);
  const replicas = Math.ceil(next * metrics.size);
  if ((next < 1 && replicas > currentReplicas) || (next > 1 && replicas < currentReplicas)) return result(currentReplicas);
  return result(replicas);
}
