import type { AdmissionAttributes } from './types.js';
import { isPod } from './types.js';
import type { KubeObject } from '../../api/types.js';

export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';
const DEFAULT_SECONDS = 300;

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

function tolerates(t: Toleration, key: string): boolean {
  return (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect);
}

/**
 * DefaultTolerationSeconds: a new pod tolerates its node being not-ready or
 * unreachable for 300 s before eviction, unless it already says otherwise.
 */
export async function admitDefaultTolerationSeconds(a: AdmissionAttributes, obj: KubeObject | undefined): Promise<void> {
  if (!isPod(a) || a.subresource || a.operation !== 'CREATE' || !obj) return;
  const spec = (obj.spec ??= {}) as { tolerations?: Toleration[] };
  const tolerations = spec.tolerations ?? [];
  const add: Toleration[] = [];
  for (const key of [NOT_READY_TAINT, UNREACHABLE_TAINT]) {
    if (!tolerations.some((t) => tolerates(t, key))) add.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_SECONDS });
  }
  if (add.length) spec.tolerations = [...tolerations, ...add];
}
