// From a metric's raw proposal to the replica count the HPA sets, as
// upstream's normalizeDesiredReplicas(WithBehaviors): recent
// recommendations are remembered per HPA so a scale-down waits out the
// stabilization window (the highest recommendation in it wins); with a
// `behavior`, scale-ups have their own window and both directions are
// bounded by the scaling policies over the changes made in each policy's
// period. Each step reports the condition upstream sets.

export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: ScalingPolicy[];
}

export interface Behavior {
  scaleUp?: ScalingRules;
  scaleDown?: ScalingRules;
}

export interface ConditionUpdate {
  type: 'AbleToScale' | 'ScalingLimited';
  status: 'True' | 'False';
  reason: string;
  message: string;
}

interface Recommendation {
  replicas: number;
  at: number;
}

interface ScaleEvent {
  change: number;
  at: number;
  outdated: boolean;
}

const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;

export function scaleUpLimit(current: number): number {
  return Math.max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM);
}

/** Without behavior: clamp to [min, max] and to the fixed scale-up rate. */
export function convertDesiredReplicasWithRules(current: number, desired: number, min: number, max: number): { replicas: number; reason: string; message: string } {
  const limit = scaleUpLimit(current);
  let maxAllowed: number;
  let reason: string;
  let message: string;
  if (max > limit) {
    maxAllowed = limit;
    reason = 'ScaleUpLimit';
    message = 'the desired replica count is increasing faster than the maximum scale rate';
  } else {
    maxAllowed = max;
    reason = 'TooManyReplicas';
    message = 'the desired replica count is more than the maximum replica count';
  }
  if (desired < min) return { replicas: min, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
  if (desired > maxAllowed) return { replicas: maxAllowed, reason, message };
  return { replicas: desired, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
}

function changeInPeriod(periodSeconds: number, events: ScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  let n = 0;
  for (const e of events) if (e.at > cutoff) n += e.change;
  return n;
}

export function scaleUpLimitWithRules(current: number, up: ScaleEvent[], down: ScaleEvent[], rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const min = rules.selectPolicy === 'Min';
  let result = min ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const start = current - changeInPeriod(p.periodSeconds, up, now) + changeInPeriod(p.periodSeconds, down, now);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = min ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

export function scaleDownLimitWithRules(current: number, up: ScaleEvent[], down: ScaleEvent[], rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const min = rules.selectPolicy === 'Min';
  let result = min ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const start = current - changeInPeriod(p.periodSeconds, up, now) + changeInPeriod(p.periodSeconds, down, now);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = min ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

export class Normalizer {
  private readonly recommendations = new Map<string, Recommendation[]>();
  private readonly upEvents = new Map<string, ScaleEvent[]>();
  private readonly downEvents = new Map<string, ScaleEvent[]>();

  constructor(
    /** --horizontal-pod-autoscaler-downscale-stabilization (5 min). */
    private readonly downscaleStabilizationMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The first sync of an HPA remembers the current size as a recommendation (upstream's recordInitialRecommendation). */
  recordInitial(key: string, current: number): void {
    if (!this.recommendations.has(key)) this.recommendations.set(key, [{ replicas: current, at: this.now() }]);
  }

  forget(key: string): void {
    this.recommendations.delete(key);
    this.upEvents.delete(key);
    this.downEvents.delete(key);
  }

  /** normalizeDesiredReplicas: no behavior, the controller's stabilization window. */
  normalize(key: string, current: number, desired: number, min: number, max: number): { replicas: number; conditions: ConditionUpdate[] } {
    const conditions: ConditionUpdate[] = [];
    const stabilized = this.stabilize(key, desired);
    conditions.push(
      stabilized !== desired
        ? { type: 'AbleToScale', status: 'True', reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' }
        : { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
    );
    const r = convertDesiredReplicasWithRules(current, stabilized, min, max);
    conditions.push({ type: 'ScalingLimited', status: r.replicas === stabilized ? 'False' : 'True', reason: r.reason, message: r.message });
    return { replicas: r.replicas, conditions };
  }

  private stabilize(key: string, desired: number): number {
    const now = this.now();
    const cutoff = now - this.downscaleStabilizationMs;
    const list = this.recommendations.get(key) ?? [];
    let max = desired;
    let old = -1;
    list.forEach((r, i) => {
      if (r.at < cutoff) old = i;
      else if (r.replicas > max) max = r.replicas;
    });
    if (old >= 0) list[old] = { replicas: desired, at: now };
    else list.push({ replicas: desired, at: now });
    this.recommendations.set(key, list);
    return max;
  }

  /** normalizeDesiredReplicasWithBehaviors. The behavior must be defaulted (policies, selectPolicy filled). */
  normalizeWithBehavior(key: string, behavior: Behavior, current: number, desired: number, min: number, max: number): { replicas: number; conditions: ConditionUpdate[] } {
    const up = behavior.scaleUp ?? {};
    const down = { ...(behavior.scaleDown ?? {}) };
    down.stabilizationWindowSeconds ??= this.downscaleStabilizationMs / 1000;
    const conditions: ConditionUpdate[] = [];
    const s = this.stabilizeWithBehavior(key, current, desired, up.stabilizationWindowSeconds ?? 0, down.stabilizationWindowSeconds);
    conditions.push(s.replicas !== desired ? { type: 'AbleToScale', status: 'True', reason: s.reason, message: s.message } : { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' });
    const r = this.limitByRate(key, current, s.replicas, min, max, up, down);
    conditions.push({ type: 'ScalingLimited', status: r.replicas === s.replicas ? 'False' : 'True', reason: r.reason, message: r.message });
    return { replicas: r.replicas, conditions };
  }

  private stabilizeWithBehavior(key: string, current: number, desired: number, upWindowS: number, downWindowS: number): { replicas: number; reason: string; message: string } {
    const now = this.now();
    const upCutoff = now - upWindowS * 1000;
    const downCutoff = now - downWindowS * 1000;
    let upRec = desired;
    let downRec = desired;
    let old = -1;
    const list = this.recommendations.get(key) ?? [];
    list.forEach((r, i) => {
      if (r.at > upCutoff) upRec = Math.min(r.replicas, upRec);
      if (r.at > downCutoff) downRec = Math.max(r.replicas, downRec);
      if (r.at < upCutoff && r.at < downCutoff) old = i;
    });
    let rec = current;
    if (rec < upRec) rec = upRec;
    if (rec > downRec) rec = downRec;
    if (old >= 0) list[old] = { replicas: desired, at: now };
    else list.push({ replicas: desired, at: now });
    this.recommendations.set(key, list);
    return desired >= current
      ? { replicas: rec, reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' }
      : { replicas: rec, reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };
  }

  private limitByRate(key: string, current: number, desired: number, min: number, max: number, up: ScalingRules, down: ScalingRules): { replicas: number; reason: string; message: string } {
    const now = this.now();
    const ups = this.upEvents.get(key) ?? [];
    const downs = this.downEvents.get(key) ?? [];
    if (desired > current) {
      const limit = Math.max(scaleUpLimitWithRules(current, ups, downs, up, now), current);
      if (max > limit) {
        if (desired > limit) return { replicas: limit, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' };
      } else if (desired > max) return { replicas: max, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
    } else if (desired < current) {
      const limit = Math.min(scaleDownLimitWithRules(current, ups, downs, down, now), current);
      if (min < limit) {
        if (desired < limit) return { replicas: limit, reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' };
      } else if (desired < min) return { replicas: min, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
    }
    return { replicas: desired, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
  }

  /** Remembers a rescale for the rate policies (only with a behavior, as upstream). */
  storeScaleEvent(key: string, behavior: Behavior | undefined, prev: number, next: number): void {
    if (!behavior) return;
    const now = this.now();
    const isUp = next > prev;
    const rules = (isUp ? behavior.scaleUp : behavior.scaleDown) ?? {};
    const longest = Math.max(0, ...(rules.policies ?? []).map((p) => p.periodSeconds));
    const map = isUp ? this.upEvents : this.downEvents;
    const list = map.get(key) ?? [];
    for (const e of list) if (e.at <= now - longest * 1000) e.outdated = true;
    const ev = { change: Math.abs(next - prev), at: now, outdated: false };
    const i = list.findIndex((e) => e.outdated);
    if (i >= 0) list[i] = ev;
    else list.push(ev);
    map.set(key, list);
  }
}
