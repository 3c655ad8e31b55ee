import type { RestClient } from '../../client/rest.js';
import { isAlreadyExists } from '../../client/status.js';
import { computeHash } from '../shared/hash.js';
import { newControllerRef } from '../shared/owner-refs.js';
import { CONTROLLERREVISIONS } from '../shared/resources.js';
import { semanticEqual } from '../shared/semantic.js';
import type { ControllerRevision, DaemonSet } from './types.js';

// DaemonSet history as ControllerRevisions (what `kubectl rollout history
// daemonset` and `rollout undo` read): each distinct template is one
// revision whose data is a strategic patch replacing spec.template, named
// <ds>-<hash> and labelled controller-revision-hash.

export const REVISION_HASH_LABEL = 'controller-revision-hash';

/** The revision data upstream stores: {"spec":{"template":{...,"$patch":"replace"}}}. */
export function revisionData(ds: DaemonSet): unknown {
  return { spec: { template: { ...structuredClone(ds.spec?.template ?? {}), $patch: 'replace' } } };
}

/** Finds or creates the revision for the current template; bumps a re-used revision to the newest number. */
export async function constructHistory(client: RestClient, ds: DaemonSet, revisions: ControllerRevision[]): Promise<{ current: ControllerRevision; old: ControllerRevision[] }> {
  const data = revisionData(ds);
  const max = revisions.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);
  const matching = revisions.filter((r) => semanticEqual(r.data, data)).sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0));
  let current = matching[0];
  // Duplicates of the current template: keep the newest.
  const old = revisions.filter((r) => r !== current);
  if (current) {
    if ((current.revision ?? 0) < max) {
      current = await client.update<ControllerRevision>(CONTROLLERREVISIONS, ds.metadata.namespace, { ...current, revision: max + 1 });
    }
    return { current, old };
  }
  const hash = computeHash(ds.spec?.template, ds.status?.collisionCount);
  const rev: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${ds.metadata.name}-${hash}`,
      namespace: ds.metadata.namespace,
      labels: { ...(ds.spec?.template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
      ownerReferences: [newControllerRef(ds, 'apps/v1', 'DaemonSet')],
    },
    data,
    revision: max + 1,
  };
  if (ds.metadata.annotations && Object.keys(ds.metadata.annotations).length) rev.metadata.annotations = { ...ds.metadata.annotations };
  try {
    current = await client.create<ControllerRevision>(CONTROLLERREVISIONS, ds.metadata.namespace, rev);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const existing = await client.get<ControllerRevision>(CONTROLLERREVISIONS, ds.metadata.namespace, rev.metadata.name!);
    if (!semanticEqual(existing.data, data)) throw new Error(`hash collision for controller revision ${rev.metadata.name}`);
    current = existing;
  }
  return { current, old };
}

/** Old revisions beyond revisionHistoryLimit that no live pod still runs, oldest first. */
export function revisionsToPrune(ds: DaemonSet, old: ControllerRevision[], liveHashes: Set<string>): ControllerRevision[] {
  const limit = ds.spec?.revisionHistoryLimit ?? 10;
  const removable = old.filter((r) => !liveHashes.has(r.metadata.labels?.[REVISION_HASH_LABEL] ?? '')).sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  const excess = old.length - limit;
  return excess > 0 ? removable.slice(0, excess) : [];
}
