import type { AdmissionAttributes } from './types.js';
import { isPod } from './types.js';
import type { KubeObject } from '../../api/types.js';

export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';
/** Upstream's --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds. */
export const DEFAULT_TOLERATION_SECONDS = 300;

export interface TolerationDefaults {
  notReadySeconds: number;
  unreachableSeconds: number;
}

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
 * unreachable for a while (300 s unless the API server's flags say otherwise)
 * before eviction, unless it already says otherwise.
 */
export function defaultTolerationSeconds(d: TolerationDefaults = { notReadySeconds: DEFAULT_TOLERATION_SECONDS, unreachableSeconds: DEFAULT_TOLERATION_SECONDS }) {
  return async (a: AdmissionAttributes, obj: KubeObject | undefined): Promise<void> => {
    if (!isPod(a) || a.subresource || a.operation !== 'CREATE' || !obj) return;
    const spec = (obj.spec ??= {}) as { tolerations?: Toleration[] };
    const tolerations = spec.tolerations ?? [];
    const add: Toleration[] = [];
    for (const [key, seconds] of [[NOT_READY_TAINT, d.notReadySeconds], [UNREACHABLE_TAINT, d.unreachableSeconds]] as const) {
      if (!tolerations.some((t) => tolerates(t, key))) add.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
    }
    if (add.length) spec.tolerations = [...tolerations, ...add];
  };
}

export const admitDefaultTolerationSeconds = defaultTolerationSeconds();
