import type { RestClient } from '../../client/rest.js';
import { isNotFound } from '../../client/status.js';
import { bumpRevision, createRevision, equalRevisions, nextRevisionNumber, revisionData, sortRevisions, type ControllerRevision } from '../shared/history.js';
import { CONTROLLERREVISIONS } from '../shared/resources.js';
import type { Pod } from '../shared/types.js';
import { revisionOf } from './identity.js';
import type { StatefulSet } from './types.js';

// The current and update revisions of a StatefulSet, as upstream's
// getStatefulSetRevisions: the update revision is the current template's
// (re-numbered to the newest if an older revision had the same template, a
// rollback); the current revision is the one status names, or the update
// revision when the history starts.

export async function setRevisions(client: RestClient, set: StatefulSet, revisions: ControllerRevision[]): Promise<{ current: ControllerRevision; update: ControllerRevision; collisionCount: number }> {
  const sorted = sortRevisions(revisions);
  let collisionCount = set.status?.collisionCount ?? 0;
  const data = revisionData(set.spec?.template);
  const equal = equalRevisions(sorted, data);
  const last = sorted[sorted.length - 1];
  let update: ControllerRevision;
  if (equal.length > 0 && last && equal[equal.length - 1] === last) {
    update = last;
  } else if (equal.length > 0) {
    update = await bumpRevision(client, equal[equal.length - 1]!, nextRevisionNumber(sorted));
  } else {
    const made = await createRevision(client, set, 'apps/v1', 'StatefulSet', nextRevisionNumber(sorted), collisionCount);
    update = made.rev;
    collisionCount = made.collisionCount ?? 0;
  }
  const current = sorted.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
  return { current, update, collisionCount };
}

/** Deletes revisions beyond revisionHistoryLimit that neither status nor any pod still uses, oldest first. */
export async function truncateHistory(client: RestClient, set: StatefulSet, pods: Pod[], revisions: ControllerRevision[], current: string, update: string): Promise<void> {
  const live = new Set([current, update, ...pods.map(revisionOf)]);
  const history = sortRevisions(revisions).filter((r) => !live.has(r.metadata.name!));
  const limit = set.spec?.revisionHistoryLimit ?? 10;
  if (history.length <= limit) return;
  for (const r of history.slice(0, history.length - limit)) {
    await client.delete(CONTROLLERREVISIONS, r.metadata.namespace, r.metadata.name!).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }
}
