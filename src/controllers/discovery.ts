import type { RestClient } from '../client/rest.js';
import type { ResourceRef } from '../client/paths.js';
import { apiVersionOf } from '../api/types.js';

// What the server serves, read from discovery as client-go's
// ServerPreferredResources does: the namespace controller deletes and the
// garbage collector watches whatever the server lists, so resources added
// later (CRDs, aggregated APIs) are handled without code changes here.

export interface DiscoveredResource extends ResourceRef {
  kind: string;
  verbs: string[];
  /** The group's preferred version (the one controllers act through). */
  preferred: boolean;
}

export interface DiscoveryResult {
  resources: DiscoveredResource[];
  /** "group/version" → why it could not be read; the rest is still usable. */
  failed: Map<string, Error>;
}

interface APIResource {
  name: string;
  namespaced: boolean;
  kind: string;
  verbs?: string[];
}

interface APIGroup {
  name: string;
  versions: { groupVersion: string; version: string }[];
  preferredVersion?: { groupVersion: string; version: string };
}

export class GroupDiscoveryFailedError extends Error {
  constructor(readonly groups: Map<string, Error>) {
    const parts = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([gv, e]) => `${gv}: ${e.message}`);
    super(`unable to retrieve the complete list of server APIs: ${parts.join(', ')}`);
  }
}

/** Every resource of every served group/version (subresources left out). */
export async function discoverResources(client: RestClient): Promise<DiscoveryResult> {
  const failed = new Map<string, Error>();
  const targets: { group: string; version: string; preferred: boolean }[] = [];
  const core = await client.request<{ versions?: string[] }>('GET', '/api');
  (core.versions ?? []).forEach((v, i) => targets.push({ group: '', version: v, preferred: i === 0 }));
  const groups = await client.request<{ groups?: APIGroup[] }>('GET', '/apis');
  for (const g of groups.groups ?? []) {
    const pref = g.preferredVersion?.version ?? g.versions[0]?.version;
    for (const v of g.versions) targets.push({ group: g.name, version: v.version, preferred: v.version === pref });
  }
  const lists = await Promise.all(
    targets.map(async (t) => {
      const path = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
      try {
        return { t, list: await client.request<{ resources?: APIResource[] }>('GET', path) };
      } catch (err) {
        failed.set(apiVersionOf(t.group, t.version), err as Error);
        return { t, list: { resources: [] } };
      }
    }),
  );
  const resources: DiscoveredResource[] = [];
  for (const { t, list } of lists) {
    for (const r of list.resources ?? []) {
      if (r.name.includes('/')) continue;
      resources.push({ group: t.group, version: t.version, resource: r.name, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs ?? [], preferred: t.preferred });
    }
  }
  return { resources, failed };
}

export function hasVerbs(r: DiscoveredResource, ...verbs: string[]): boolean {
  return verbs.every((v) => r.verbs.includes(v));
}

export function gvrString(r: ResourceRef): string {
  return `${r.group}/${r.version}/${r.resource}`;
}
