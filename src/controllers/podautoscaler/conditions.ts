import { nowTimestamp } from '../../api/types.js';

// HPA status conditions: a changed status moves lastTransitionTime, a
// changed reason or message alone does not (upstream's setCondition).

export interface HpaCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export function setCondition(conditions: HpaCondition[], type: string, status: HpaCondition['status'], reason: string, message: string): void {
  const c = conditions.find((x) => x.type === type);
  if (!c) {
    conditions.push({ type, status, lastTransitionTime: nowTimestamp(), reason, message });
    return;
  }
  if (c.status !== status) c.lastTransitionTime = nowTimestamp();
  c.status = status;
  c.reason = reason;
  c.message = message;
}
