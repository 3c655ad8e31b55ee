import type { FilterPlugin, NodeScore, ScorePlugin } from '../../framework/interface.js';
import type { CycleState } from '../../framework/cycle-state.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { Status, SUCCESS } from '../../framework/status.js';
import { findUntoleratedTaint, toleratedBy } from '../../util/tolerations.js';
import { defaultNormalizeScore } from '../../framework/normalize.js';
import { NODE_ADD, NODE_UPDATE, type ClusterEvent } from '../../queue/events.js';

// NoSchedule/NoExecute taints the pod does not tolerate rule a node out;
// untolerated PreferNoSchedule taints count against it in scoring.

export const NAME = 'TaintToleration';

const hardEffects = (e: string) => e === 'NoSchedule' || e === 'NoExecute';

export class TaintToleration implements FilterPlugin, ScorePlugin {
  readonly name = NAME;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const taints = node.taints;
    if (taints.length === 0) return SUCCESS;
    const t = findUntoleratedTaint(taints, pod.pod.spec.tolerations, hardEffects);
    if (!t) return SUCCESS;
    return Status.unresolvable(`node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`);
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const taints = node.taints;
    if (taints.length === 0) return 0;
    let n = 0;
    for (const t of taints) {
      if (t.effect !== 'PreferNoSchedule') continue;
      const tols = pod.pod.spec.tolerations?.filter((x) => !x.effect || x.effect === 'PreferNoSchedule');
      if (!toleratedBy(tols, t)) n++;
    }
    return n;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: NodeScore[]): void {
    defaultNormalizeScore(scores, true);
  }

  events(): ClusterEvent[] {
    return [NODE_ADD, NODE_UPDATE];
  }
}
