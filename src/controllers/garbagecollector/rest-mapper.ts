import { parseApiVersion } from '../../api/types.js';
import type { DiscoveredResource } from '../discovery.js';

// apiVersion + kind → resource, as the REST mapper the garbage collector
// uses to look owners up: an ownerReference names a kind, the URL needs the
// plural resource and whether it is namespaced. Built from discovery so it
// covers every served version, not only the preferred ones.

export class UnknownKindError extends Error {}

export class RestMapper {
  private byKind = new Map<string, DiscoveredResource>();

  constructor(resources: DiscoveredResource[] = []) {
    this.reset(resources);
  }

  reset(resources: DiscoveredResource[]): void {
    const m = new Map<string, DiscoveredResource>();
    for (const r of resources) {
      const key = `${r.group}/${r.version}/${r.kind}`;
      // Two resources may share a kind (core and events.k8s.io Events live in different groups, so only same-group clashes matter): keep the first.
      if (!m.has(key)) m.set(key, r);
    }
    this.byKind = m;
  }

  resourceFor(apiVersion: string, kind: string): DiscoveredResource {
    const { group, version } = parseApiVersion(apiVersion);
    const r = this.byKind.get(`${group}/${version}/${kind}`);
    if (!r) throw new UnknownKindError(`no matches for kind "${kind}" in version "${apiVersion}"`);
    return r;
  }
}
