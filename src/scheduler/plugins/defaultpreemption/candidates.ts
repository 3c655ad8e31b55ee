import type { PodInfo } from '../../framework/pod-info.js';

// Choosing among nodes where preemption would work, as upstream's
// pickOneNodeForPreemption: fewest PDB violations, then the lowest
// highest-priority victim, the lowest priority sum, the fewest victims, and
// the latest start among the most important victims.

export interface Candidate {
  nodeName: string;
  /** Most important first. */
  victims: PodInfo[];
  pdbViolations: number;
}

export function startTimeOf(p: PodInfo): number {
  const t = p.pod.status?.startTime ?? p.pod.metadata.creationTimestamp;
  return t ? Date.parse(t) : 0;
}

/** MoreImportantPod: higher priority, then the one running longer. */
export function moreImportant(a: PodInfo, b: PodInfo): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return startTimeOf(a) - startTimeOf(b);
}

const OFFSET = 2 ** 31;

function minBy(cands: Candidate[], f: (c: Candidate) => number): Candidate[] {
  let best = Infinity;
  let out: Candidate[] = [];
  for (const c of cands) {
    const v = f(c);
    if (v < best) {
      best = v;
      out = [c];
    } else if (v === best) out.push(c);
  }
  return out;
}

export function pickOneCandidate(cands: Candidate[]): Candidate | undefined {
  if (cands.length <= 1) return cands[0];
  let left = minBy(cands, (c) => c.pdbViolations);
  if (left.length > 1) left = minBy(left, (c) => (c.victims.length ? c.victims[0]!.priority : -Infinity));
  if (left.length > 1) left = minBy(left, (c) => c.victims.reduce((s, v) => s + v.priority + OFFSET, 0));
  if (left.length > 1) left = minBy(left, (c) => c.victims.length);
  if (left.length > 1) {
    // Latest earliest-start among the highest-priority victims: disturb the youngest work.
    left = minBy(left, (c) => {
      const top = c.victims[0]?.priority;
      let earliest = Infinity;
      for (const v of c.victims) if (v.priority === top) earliest = Math.min(earliest, startTimeOf(v));
      return -earliest;
    });
  }
  return left[0];
}
