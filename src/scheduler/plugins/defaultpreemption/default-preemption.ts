import type { Handle, PodDisruptionBudget, PostFilterPlugin, PostFilterResult } from '../../framework/interface.js';
import type { CycleState } from '../../framework/cycle-state.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { Code, Status } from '../../framework/status.js';
import { NodeToStatus } from '../../framework/node-to-status.js';
import { fitErrorMessage } from '../../framework/fit-error.js';
import { logger } from '../../../util/log.js';
import { moreImportant, pickOneCandidate, type Candidate } from './candidates.js';
import { splitByPdbViolation } from './pdb.js';

// DefaultPreemption: when no node fits, find nodes where evicting pods of
// lower priority would make room, pick the one that hurts least, delete its
// victims and nominate the node for the pod. Nodes that failed for reasons
// eviction cannot fix (UnschedulableAndUnresolvable) are not tried.

const log = logger('scheduler');

export const NAME = 'DefaultPreemption';
export const ERR_NO_VICTIMS = 'No preemption victims found for incoming pod';
export const ERR_NOT_HELPFUL = 'Preemption is not helpful for scheduling';

export interface DefaultPreemptionArgs {
  minCandidateNodesPercentage?: number;
  minCandidateNodesAbsolute?: number;
}

export class DefaultPreemption implements PostFilterPlugin {
  readonly name = NAME;
  private readonly minPct: number;
  private readonly minAbs: number;

  constructor(
    private readonly handle: Handle,
    args: DefaultPreemptionArgs = {},
  ) {
    this.minPct = args.minCandidateNodesPercentage ?? 10;
    this.minAbs = args.minCandidateNodesAbsolute ?? 100;
  }

  async postFilter(state: CycleState, pod: PodInfo, statuses: NodeToStatus): Promise<{ status: Status; result?: PostFilterResult }> {
    const r = await this.preempt(state, pod, statuses);
    if (r.status.reasons.length > 0 && !r.status.isSuccess()) return { ...r, status: new Status(r.status.code, [`preemption: ${r.status.message()}`]) };
    return r;
  }

  private eligible(pod: PodInfo, statuses: NodeToStatus): string | undefined {
    if (pod.pod.spec.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
    const nominated = pod.pod.status?.nominatedNodeName;
    if (nominated && statuses.get(nominated).code !== Code.UnschedulableAndUnresolvable) {
      const ni = this.handle.snapshot().get(nominated);
      if (ni?.pods.some((p) => p.pod.metadata.deletionTimestamp && p.priority < pod.priority)) return 'not eligible due to a terminating pod on the nominated node.';
    }
    return undefined;
  }

  private async preempt(state: CycleState, pod: PodInfo, statuses: NodeToStatus): Promise<{ status: Status; result?: PostFilterResult }> {
    const why = this.eligible(pod, statuses);
    if (why) return { status: Status.unschedulable(why) };
    const all = this.handle.snapshot().list;
    const potential = all.filter((ni) => statuses.get(ni.name).code === Code.Unschedulable);
    const candidates: Candidate[] = [];
    const nodeStatuses = new NodeToStatus();
    if (potential.length > 0) {
      const pdbs = this.handle.podDisruptionBudgets?.() ?? [];
      const want = Math.min(potential.length, Math.max(this.minAbs, Math.floor((potential.length * this.minPct) / 100)));
      const offset = Math.floor(Math.random() * potential.length);
      for (let i = 0; i < potential.length && candidates.length < want; i++) {
        const ni = potential[(offset + i) % potential.length]!;
        const r = this.selectVictimsOnNode(state.clone(), pod, ni.clone(), pdbs);
        if (r.status.isSuccess() && r.victims.length > 0) candidates.push({ nodeName: ni.name, victims: r.victims, pdbViolations: r.pdbViolations });
        else nodeStatuses.set(ni.name, r.status.isSuccess() ? Status.error(`expected at least one victim pod on node "${ni.name}"`) : r.status);
      }
    }
    if (candidates.length === 0) {
      nodeStatuses.absent = Status.unresolvable(ERR_NOT_HELPFUL);
      return { status: Status.unschedulable(fitErrorMessage(all.length, nodeStatuses)), result: { nominatedNodeName: '' } };
    }
    const best = pickOneCandidate(candidates)!;
    await this.prepare(best, pod);
    return { status: new Status(Code.Success), result: { nominatedNodeName: best.nodeName } };
  }

  /**
   * Remove every lower-priority pod; if the pod then fits, put back as many as still allow it: first the victims whose
   * eviction would break a PodDisruptionBudget, then the others, most important first within each group.
   */
  selectVictimsOnNode(state: CycleState, pod: PodInfo, node: NodeInfo, pdbs: readonly PodDisruptionBudget[] = []): { status: Status; victims: PodInfo[]; pdbViolations: number } {
    const potential: PodInfo[] = [];
    for (const p of [...node.pods]) {
      if (p.priority >= pod.priority) continue;
      potential.push(p);
      node.removePod(p.key);
      this.handle.runPreFilterExtensionRemovePod(state, pod, p, node);
    }
    if (potential.length === 0) return { status: Status.unresolvable(ERR_NO_VICTIMS), victims: [], pdbViolations: 0 };
    const fits = this.handle.runFilterPluginsWithNominatedPods(state, pod, node);
    if (!fits.isSuccess()) return { status: fits, victims: [], pdbViolations: 0 };
    potential.sort(moreImportant);
    const { violating, nonViolating } = splitByPdbViolation(potential, pdbs);
    const victims: PodInfo[] = [];
    const reprieve = (p: PodInfo): boolean => {
      node.addPod(p);
      this.handle.runPreFilterExtensionAddPod(state, pod, p, node);
      if (this.handle.runFilterPluginsWithNominatedPods(state, pod, node).isSuccess()) return true;
      node.removePod(p.key);
      this.handle.runPreFilterExtensionRemovePod(state, pod, p, node);
      victims.push(p);
      return false;
    };
    let pdbViolations = 0;
    for (const p of violating) if (!reprieve(p)) pdbViolations++;
    for (const p of nonViolating) reprieve(p);
    // The two passes each went most important first; candidates compare victims in that order overall.
    if (violating.length > 0 && nonViolating.length > 0) victims.sort(moreImportant);
    return { status: new Status(Code.Success), victims, pdbViolations };
  }

  private async prepare(c: Candidate, pod: PodInfo): Promise<void> {
    const api = this.handle.api;
    await Promise.all(
      c.victims.map(async (v) => {
        if (v.pod.metadata.deletionTimestamp) return;
        try {
          await api.patchPodStatus(v.pod, {
            conditions: [
              {
                type: 'DisruptionTarget',
                status: 'True',
                reason: 'PreemptionByScheduler',
                message: `${this.handle.schedulerName}: preempting to accommodate a higher priority pod`,
                lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
              },
            ],
          });
          await api.deletePod(v.pod);
          api.event(v.pod, 'Normal', 'Preempted', `Preempted by pod ${pod.uid} on node ${c.nodeName}`);
        } catch (err) {
          log.warn({ err: (err as Error).message, victim: v.key }, 'could not preempt pod');
        }
      }),
    );
    // Lower-priority pods nominated here may no longer fit; let them look elsewhere.
    for (const p of this.handle.nominatedPodsForNode(c.nodeName)) {
      if (p.priority >= pod.priority || p.key === pod.key) continue;
      try {
        await api.patchPodStatus(p.pod, { nominatedNodeName: null });
      } catch (err) {
        log.warn({ err: (err as Error).message, pod: p.key }, 'could not clear nominatedNodeName');
      }
    }
  }
}
