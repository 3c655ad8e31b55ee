import type { ControllerContext } from '../types.js';

/** Workers for a controller from --concurrent-<name>-syncs, whichever spelling the manager used. */
export function workersFor(ctx: ControllerContext, names: string[], fallback: number): number {
  for (const n of names) {
    const v = ctx.options?.concurrentSyncs?.[n];
    if (typeof v === 'number' && v > 0) return v;
  }
  return fallback;
}
