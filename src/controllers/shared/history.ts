import type { KubeObject } from '../../api/types.js';
import type { RestClient } from '../../client/rest.js';
import { isAlreadyExists } from '../../client/status.js';
import { computeHash } from './hash.js';
import { newControllerRef } from './owner-refs.js';
import { CONTROLLERREVISIONS } from './resources.js';
import { semanticEqual, semanticKey } from './semantic.js';
import type { PodTemplateSpec } from './types.js';

// ControllerRevisions as upstream's controller history keeps them for
// DaemonSets and StatefulSets: each distinct pod template is one revision
// whose data is a strategic patch replacing spec.template (what `kubectl
// rollout undo` applies), named <owner>-<hash>, labelled
// controller-revision-hash, numbered in the order templates were current.

export const REVISION_HASH_LABEL = 'controller-revision-hash';

export interface ControllerRevision extends KubeObject {
  data?: unknown;
  revision?: number;
}

export interface RevisionOwner extends KubeObject {
  spec?: { template?: PodTemplateSpec; revisionHistoryLimit?: number };
  status?: { collisionCount?: number };
}

/** The revision data upstream stores: {"spec":{"template":{...,"$patch":"replace"}}}. */
export function revisionData(template: PodTemplateSpec | undefined): unknown {
  return { spec: { template: { ...structuredClone(template ?? {}), $patch: 'replace' } } };
}

/** The template a revision restores. */
export function templateOf(rev: ControllerRevision): PodTemplateSpec {
  const t = structuredClone(((rev.data as { spec?: { template?: Record<string, unknown> } } | undefined)?.spec?.template ?? {}) as Record<string, unknown>);
  delete t.$patch;
  return t as PodTemplateSpec;
}

/** Oldest first, by revision number then name (history.SortControllerRevisions). */
export function sortRevisions(revs: ControllerRevision[]): ControllerRevision[] {
  return [...revs].sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0) || (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

export function nextRevisionNumber(sorted: ControllerRevision[]): number {
  return sorted.length ? (sorted[sorted.length - 1]!.revision ?? 0) + 1 : 1;
}

/** Each stored revision's data normalised once: informer copies are never mutated, and every sync of the owner compares them all. */
const dataKeys = new WeakMap<object, string>();

function dataKey(data: unknown): string {
  if (data === null || typeof data !== 'object') return semanticKey(data);
  let k = dataKeys.get(data);
  if (k === undefined) dataKeys.set(data, (k = semanticKey(data)));
  return k;
}

export function equalRevisions(revs: ControllerRevision[], data: unknown): ControllerRevision[] {
  const want = semanticKey(data);
  return revs.filter((r) => dataKey(r.data) === want);
}

/** An unsaved revision of the owner's current template. */
export function newRevision(owner: RevisionOwner, apiVersion: string, kind: string, revision: number, collisionCount: number | undefined): ControllerRevision {
  const hash = computeHash(owner.spec?.template, collisionCount);
  const rev: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${owner.metadata.name}-${hash}`,
      namespace: owner.metadata.namespace,
      labels: { ...(owner.spec?.template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
      ownerReferences: [newControllerRef(owner, apiVersion, kind)],
    },
    data: revisionData(owner.spec?.template),
    revision,
  };
  if (owner.metadata.annotations && Object.keys(owner.metadata.annotations).length) rev.metadata.annotations = { ...owner.metadata.annotations };
  return rev;
}

/**
 * Saves a revision; a name taken by a revision with other data is a hash
 * collision, which bumps the collision count (returned, for the owner's
 * status) and retries under the next name, as upstream's CreateControllerRevision.
 */
export async function createRevision(client: RestClient, owner: RevisionOwner, apiVersion: string, kind: string, revision: number, collisionCount: number | undefined): Promise<{ rev: ControllerRevision; collisionCount: number | undefined }> {
  for (let count = collisionCount; ; count = (count ?? 0) + 1) {
    const rev = newRevision(owner, apiVersion, kind, revision, count);
    try {
      return { rev: await client.create<ControllerRevision>(CONTROLLERREVISIONS, owner.metadata.namespace, rev), collisionCount: count };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await client.get<ControllerRevision>(CONTROLLERREVISIONS, owner.metadata.namespace, rev.metadata.name!);
      if (semanticEqual(existing.data, rev.data)) return { rev: existing, collisionCount: count };
    }
  }
}

/** Renumbers a re-used revision (a rollback to an older template). */
export function bumpRevision(client: RestClient, rev: ControllerRevision, revision: number): Promise<ControllerRevision> {
  return client.update<ControllerRevision>(CONTROLLERREVISIONS, rev.metadata.namespace, { ...rev, revision });
}
