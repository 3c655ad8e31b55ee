import { MAX_NODE_SCORE, type NodeScore } from './interface.js';

/**
 * Rescale scores to 0..maxPriority by the highest one, optionally reversed
 * (fewer is better), as upstream's helper.DefaultNormalizeScore.
 */
export function defaultNormalizeScore(scores: NodeScore[], reverse: boolean, maxPriority = MAX_NODE_SCORE): void {
  let max = 0;
  for (const s of scores) if (s.score > max) max = s.score;
  if (max === 0) {
    if (reverse) for (const s of scores) s.score = maxPriority;
    return;
  }
  for (const s of scores) {
    let v = Math.floor((maxPriority * s.score) / max);
    if (reverse) v = maxPriority - v;
    s.score = v;
  }
}
