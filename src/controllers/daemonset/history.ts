import type { RestClient } from '../../client/rest.js';
import { REVISION_HASH_LABEL, bumpRevision, createRevision, revisionData, type ControllerRevision } from '../shared/history.js';
import { semanticEqual } from '../shared/semantic.js';
import type { DaemonSet } from './types.js';

// DaemonSet history as ControllerRevisions (what `kubectl rollout history
// daemonset` and `rollout undo` read); the revision objects themselves are
// shared with StatefulSets (../shared/history.ts).

export { REVISION_HASH_LABEL };

/** Finds or creates the revision for the current template; bumps a re-used revision to the newest number. */
export async function constructHistory(client: RestClient, ds: DaemonSet, revisions: ControllerRevision[]): Promise<{ current: ControllerRevision; old: ControllerRevision[] }> {
  const data = revisionData(ds.spec?.template);
  const max = revisions.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);
  const matching = revisions.filter((r) => semanticEqual(r.data, data)).sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0));
  let current = matching[0];
  // Duplicates of the current template: keep the newest.
  const old = revisions.filter((r) => r !== current);
  if (current) {
    if ((current.revision ?? 0) < max) current = await bumpRevision(client, current, max + 1);
    return { current, old };
  }
  const { rev } = await createRevision(client, ds, 'apps/v1', 'DaemonSet', max + 1, ds.status?.collisionCount);
  return { current: rev, old };
}

/** Old revisions beyond revisionHistoryLimit that no live pod still runs, oldest first. */
export function revisionsToPrune(ds: DaemonSet, old: ControllerRevision[], liveHashes: Set<string>): ControllerRevision[] {
  const limit = ds.spec?.revisionHistoryLimit ?? 10;
  const removable = old.filter((r) => !liveHashes.has(r.metadata.labels?.[REVISION_HASH_LABEL] ?? '')).sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  const excess = old.length - limit;
  return excess > 0 ? removable.slice(0, excess) : [];
}
