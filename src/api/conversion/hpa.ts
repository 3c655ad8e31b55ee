import type { KubeObject } from '../types.js';

// autoscaling/v1 HorizontalPodAutoscalers over the stored autoscaling/v2
// objects, as upstream converts them: v1 shows only a CPU utilization
// target; every other metric, the current metrics, the conditions and the
// behavior travel in upstream's round-trip annotations (metrics in v1's own
// MetricSpec shape), so a v1 client that reads and writes back loses nothing.

export const METRIC_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const METRIC_STATUSES_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
export const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
const ROUND_TRIP = [METRIC_SPECS_ANNOTATION, METRIC_STATUSES_ANNOTATION, CONDITIONS_ANNOTATION, BEHAVIOR_ANNOTATION];
/** What the v1 controller assumed when no target was set. */
export const DEFAULT_CPU_UTILIZATION = 80;

type Obj = Record<string, any>;

const clean = <T extends Obj>(o: T): T => {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
};

const isCpuUtilization = (m: Obj): boolean => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.type === 'Utilization' && m.resource?.target?.averageUtilization !== undefined;

function specToV1(m: Obj): Obj {
  const t = (x: Obj | undefined): Obj => x?.target ?? {};
  switch (m.type) {
    case 'Resource':
      return { type: m.type, resource: clean({ name: m.resource?.name, targetAverageUtilization: t(m.resource).averageUtilization, targetAverageValue: t(m.resource).averageValue }) };
    case 'ContainerResource':
      return { type: m.type, containerResource: clean({ name: m.containerResource?.name, container: m.containerResource?.container, targetAverageUtilization: t(m.containerResource).averageUtilization, targetAverageValue: t(m.containerResource).averageValue }) };
    case 'Pods':
      return { type: m.type, pods: clean({ metricName: m.pods?.metric?.name, targetAverageValue: t(m.pods).averageValue, selector: m.pods?.metric?.selector }) };
    case 'Object':
      return { type: m.type, object: clean({ target: m.object?.describedObject, metricName: m.object?.metric?.name, targetValue: t(m.object).value, selector: m.object?.metric?.selector, averageValue: t(m.object).averageValue }) };
    case 'External':
      return { type: m.type, external: clean({ metricName: m.external?.metric?.name, metricSelector: m.external?.metric?.selector, targetValue: t(m.external).value, targetAverageValue: t(m.external).averageValue }) };
    default:
      return { type: m.type };
  }
}

function target(utilization: unknown, averageValue: unknown, value?: unknown): Obj {
  if (utilization !== undefined) return { type: 'Utilization', averageUtilization: utilization };
  if (averageValue !== undefined) return { type: 'AverageValue', averageValue };
  return clean({ type: 'Value', value });
}

function specFromV1(m: Obj): Obj {
  switch (m.type) {
    case 'Resource':
      return { type: m.type, resource: { name: m.resource?.name, target: target(m.resource?.targetAverageUtilization, m.resource?.targetAverageValue) } };
    case 'ContainerResource':
      return { type: m.type, containerResource: { name: m.containerResource?.name, container: m.containerResource?.container, target: target(m.containerResource?.targetAverageUtilization, m.containerResource?.targetAverageValue) } };
    case 'Pods':
      return { type: m.type, pods: { metric: clean({ name: m.pods?.metricName, selector: m.pods?.selector }), target: { type: 'AverageValue', averageValue: m.pods?.targetAverageValue } } };
    case 'Object':
      return { type: m.type, object: { describedObject: m.object?.target, metric: clean({ name: m.object?.metricName, selector: m.object?.selector }), target: target(undefined, m.object?.averageValue, m.object?.targetValue) } };
    case 'External':
      return { type: m.type, external: { metric: clean({ name: m.external?.metricName, selector: m.external?.metricSelector }), target: target(undefined, m.external?.targetAverageValue, m.external?.targetValue) } };
    default:
      return { type: m.type };
  }
}

function statusToV1(m: Obj): Obj {
  const c = (x: Obj | undefined): Obj => x?.current ?? {};
  switch (m.type) {
    case 'Resource':
      return { type: m.type, resource: clean({ name: m.resource?.name, currentAverageUtilization: c(m.resource).averageUtilization, currentAverageValue: c(m.resource).averageValue }) };
    case 'ContainerResource':
      return { type: m.type, containerResource: clean({ name: m.containerResource?.name, container: m.containerResource?.container, currentAverageUtilization: c(m.containerResource).averageUtilization, currentAverageValue: c(m.containerResource).averageValue }) };
    case 'Pods':
      return { type: m.type, pods: clean({ metricName: m.pods?.metric?.name, currentAverageValue: c(m.pods).averageValue, selector: m.pods?.metric?.selector }) };
    case 'Object':
      return { type: m.type, object: clean({ target: m.object?.describedObject, metricName: m.object?.metric?.name, currentValue: c(m.object).value, selector: m.object?.metric?.selector, averageValue: c(m.object).averageValue }) };
    case 'External':
      return { type: m.type, external: clean({ metricName: m.external?.metric?.name, metricSelector: m.external?.metric?.selector, currentValue: c(m.external).value, currentAverageValue: c(m.external).averageValue }) };
    default:
      return { type: m.type };
  }
}

function statusFromV1(m: Obj): Obj {
  switch (m.type) {
    case 'Resource':
      return { type: m.type, resource: { name: m.resource?.name, current: clean({ averageUtilization: m.resource?.currentAverageUtilization, averageValue: m.resource?.currentAverageValue }) } };
    case 'ContainerResource':
      return { type: m.type, containerResource: { name: m.containerResource?.name, container: m.containerResource?.container, current: clean({ averageUtilization: m.containerResource?.currentAverageUtilization, averageValue: m.containerResource?.currentAverageValue }) } };
    case 'Pods':
      return { type: m.type, pods: { metric: clean({ name: m.pods?.metricName, selector: m.pods?.selector }), current: clean({ averageValue: m.pods?.currentAverageValue }) } };
    case 'Object':
      return { type: m.type, object: { describedObject: m.object?.target, metric: clean({ name: m.object?.metricName, selector: m.object?.selector }), current: clean({ value: m.object?.currentValue, averageValue: m.object?.averageValue }) } };
    case 'External':
      return { type: m.type, external: { metric: clean({ name: m.external?.metricName, selector: m.external?.metricSelector }), current: clean({ value: m.external?.currentValue, averageValue: m.external?.currentAverageValue }) } };
    default:
      return { type: m.type };
  }
}

function parseAnnotation(v: string | undefined): any {
  if (v === undefined || v === '') return undefined;
  try {
    return JSON.parse(v);
  } catch {
    // Upstream ignores a round-trip annotation it cannot read rather than failing the request.
    return undefined;
  }
}

export function hpaToV1(stored: KubeObject): KubeObject {
  const o = stored as Obj;
  const spec: Obj = o.spec ?? {};
  const status: Obj = o.status ?? {};
  const annotations: Record<string, string> = { ...(o.metadata?.annotations ?? {}) };
  for (const k of ROUND_TRIP) delete annotations[k];
  const metrics: Obj[] = spec.metrics ?? [];
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => !isCpuUtilization(m));
  if (others.length) annotations[METRIC_SPECS_ANNOTATION] = JSON.stringify(others.map(specToV1));
  const current: Obj[] = status.currentMetrics ?? [];
  if (current.length) annotations[METRIC_STATUSES_ANNOTATION] = JSON.stringify(current.map(statusToV1));
  if (status.conditions?.length) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(status.conditions);
  if (spec.behavior) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(spec.behavior);
  const cpuStatus = current.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
  const metadata = { ...o.metadata };
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;
  return clean({
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: clean({ scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas, targetCPUUtilizationPercentage: cpu?.resource.target.averageUtilization }),
    status: o.status === undefined ? undefined : clean({
      observedGeneration: status.observedGeneration,
      lastScaleTime: status.lastScaleTime,
      currentReplicas: status.currentReplicas ?? 0,
      desiredReplicas: status.desiredReplicas ?? 0,
      currentCPUUtilizationPercentage: cpuStatus?.resource?.current?.averageUtilization,
    }),
  }) as KubeObject;
}

export function hpaFromV1(external: KubeObject): KubeObject {
  const o = external as Obj;
  const spec: Obj = o.spec ?? {};
  const status: Obj | undefined = o.status;
  const src: Record<string, string> = o.metadata?.annotations ?? {};
  const annotations: Record<string, string> = { ...src };
  for (const k of ROUND_TRIP) delete annotations[k];
  const metrics: Obj[] = [];
  if (spec.targetCPUUtilizationPercentage !== undefined && spec.targetCPUUtilizationPercentage !== null) {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } });
  }
  const others = parseAnnotation(src[METRIC_SPECS_ANNOTATION]);
  if (Array.isArray(others)) metrics.push(...others.map(specFromV1));
  // v1 had an implicit 80 % CPU target applied by the controller; upstream makes it explicit here.
  if (!metrics.length) metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } });
  const behavior = parseAnnotation(src[BEHAVIOR_ANNOTATION]);
  let newStatus: Obj | undefined;
  if (status) {
    const current = parseAnnotation(src[METRIC_STATUSES_ANNOTATION]);
    let currentMetrics: Obj[] | undefined;
    if (Array.isArray(current)) currentMetrics = current.map(statusFromV1);
    else if (status.currentCPUUtilizationPercentage !== undefined) currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }];
    const conditions = parseAnnotation(src[CONDITIONS_ANNOTATION]);
    newStatus = clean({
      observedGeneration: status.observedGeneration,
      lastScaleTime: status.lastScaleTime,
      currentReplicas: status.currentReplicas,
      desiredReplicas: status.desiredReplicas,
      currentMetrics,
      conditions: Array.isArray(conditions) ? conditions : undefined,
    });
  }
  const metadata = { ...o.metadata };
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;
  return clean({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: clean({ scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas, metrics, behavior: behavior && typeof behavior === 'object' ? behavior : undefined }),
    status: newStatus,
  }) as KubeObject;
}

