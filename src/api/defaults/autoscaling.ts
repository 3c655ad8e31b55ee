import type { Obj } from './util.js';

// autoscaling HorizontalPodAutoscaler defaults, as upstream's v2
// SetDefaults_HorizontalPodAutoscaler and the scaling rules it generates
// (v1 only defaults minReplicas; its CPU target is made explicit by the
// conversion to v2).

export const DEFAULT_CPU_UTILIZATION = 80;
export const DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS = 300;

export function scaleUpRules(r: Obj | undefined): Obj {
  const out: Obj = { ...(r ?? {}) };
  if (out.stabilizationWindowSeconds === undefined || out.stabilizationWindowSeconds === null) out.stabilizationWindowSeconds = 0;
  if (!out.selectPolicy) out.selectPolicy = 'Max';
  if (!Array.isArray(out.policies) || out.policies.length === 0) {
    out.policies = [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ];
  }
  return out;
}

export function scaleDownRules(r: Obj | undefined): Obj {
  const out: Obj = { ...(r ?? {}) };
  if (out.stabilizationWindowSeconds === undefined || out.stabilizationWindowSeconds === null) out.stabilizationWindowSeconds = DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS;
  if (!out.selectPolicy) out.selectPolicy = 'Max';
  if (!Array.isArray(out.policies) || out.policies.length === 0) out.policies = [{ type: 'Percent', value: 100, periodSeconds: 15 }];
  return out;
}

export function defaultHorizontalPodAutoscalerV2(obj: Obj): void {
  const spec = (obj.spec ??= {}) as Obj;
  if (spec.minReplicas === undefined || spec.minReplicas === null) spec.minReplicas = 1;
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }
  const b = spec.behavior as Obj | undefined | null;
  if (b) {
    b.scaleUp = scaleUpRules(b.scaleUp as Obj | undefined);
    b.scaleDown = scaleDownRules(b.scaleDown as Obj | undefined);
  }
}

export function defaultHorizontalPodAutoscalerV1(obj: Obj): void {
  const spec = (obj.spec ??= {}) as Obj;
  if (spec.minReplicas === undefined || spec.minReplicas === null) spec.minReplicas = 1;
}
