import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { RESOURCES, groupVersions, resourcesIn } from '../api/scheme/resources.js';
import { subresourceKind } from '../api/scheme/subresources.js';
import { writeJson } from './http/respond.js';

// Discovery documents are fixed for the life of the process: build them once
// and answer from memory (kubectl asks for them on nearly every command).

export const KUBERNETES_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4+k8ts',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-11-26T00:00:00Z',
  goVersion: 'go1.23.8',
  compiler: 'gc',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const AGGREGATED_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

function subresourceVerbs(sub: string): string[] {
  switch (sub) {
    case 'status':
    case 'scale':
      return ['get', 'patch', 'update'];
    case 'binding':
    case 'eviction':
    case 'token':
      return ['create'];
    case 'log':
      return ['get'];
    case 'exec':
    case 'attach':
    case 'portforward':
      return ['create', 'get'];
    case 'proxy':
      return ['create', 'delete', 'get', 'patch', 'update'];
    case 'finalize':
      return ['update'];
    case 'ephemeralcontainers':
      return ['get', 'patch', 'update'];
    default:
      return ['get'];
  }
}

function legacyResourceList(group: string, version: string): unknown {
  const resources: unknown[] = [];
  for (const r of resourcesIn(group, version)) {
    const base: Record<string, unknown> = {
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
    };
    if (r.shortNames.length) base.shortNames = r.shortNames;
    if (r.categories.length) base.categories = r.categories;
    base.storageVersionHash = createHash('sha256').update(`${r.group}/${r.version}/${r.kind}`).digest('base64').slice(0, 11);
    resources.push(base);
    for (const sub of r.subresources) {
      const k = subresourceKind(r, sub);
      const entry: Record<string, unknown> = {
        name: `${r.resource}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        kind: k.kind,
        verbs: subresourceVerbs(sub),
      };
      // Upstream names both whenever the subresource's group/version differs (kubectl drain reads both).
      if (k.group !== r.group || k.version !== r.version) {
        entry.group = k.group;
        entry.version = k.version;
      }
      resources.push(entry);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

function aggregatedGroup(group: string): unknown {
  const versions = groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => ({
      version: gv.version,
      resources: resourcesIn(gv.group, gv.version)
        .filter((r) => r.kind !== 'Binding')
        .map((r) => {
          const e: Record<string, unknown> = {
            resource: r.resource,
            responseKind: { group: r.group, version: r.version, kind: r.kind },
            scope: r.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: r.singular,
            verbs: r.verbs,
          };
          if (r.shortNames.length) e.shortNames = r.shortNames;
          if (r.categories.length) e.categories = r.categories;
          if (r.subresources.length) {
            e.subresources = r.subresources.map((sub) => ({ subresource: sub, responseKind: subresourceKind(r, sub), verbs: subresourceVerbs(sub) }));
          }
          return e;
        }),
      freshness: 'Current',
    }));
  return { metadata: { name: group, creationTimestamp: null }, versions };
}

function groupNames(): string[] {
  return [...new Set(RESOURCES.map((r) => r.group).filter((g) => g !== ''))];
}

function apiGroup(group: string): unknown {
  const versions = groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: `${group}/${gv.version}`, version: gv.version }));
  return { name: group, versions, preferredVersion: versions[0] };
}

export class Discovery {
  private readonly cache = new Map<string, string>();

  private memo(key: string, build: () => unknown): string {
    let s = this.cache.get(key);
    if (s === undefined) {
      s = JSON.stringify(build());
      this.cache.set(key, s);
    }
    return s;
  }

  /** Handles discovery paths; false when the path is not one. */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    const accept = req.headers.accept ?? '';
    const aggregated = accept.includes('as=APIGroupDiscoveryList') && accept.includes('g=apidiscovery.k8s.io');
    const aggType = accept.includes('v=v2;') || accept.includes('v=v2,') || accept.endsWith('v=v2') || /v=v2(?!beta)/.test(accept) ? AGGREGATED_V2 : AGGREGATED_V2BETA1;
    const p = pathname.replace(/\/+$/, '');
    if (p === '/version') {
      writeJson(res, 200, this.memo('version', () => KUBERNETES_VERSION));
      return true;
    }
    if (p === '/api') {
      if (aggregated) {
        const body = this.memo(`agg:api:${aggType}`, () => ({ kind: 'APIGroupDiscoveryList', apiVersion: aggType.includes('v2beta1') ? 'apidiscovery.k8s.io/v2beta1' : 'apidiscovery.k8s.io/v2', metadata: {}, items: [aggregatedGroup('')] }));
        writeJson(res, 200, body, aggType);
        return true;
      }
      const host = req.headers.host ?? '127.0.0.1';
      writeJson(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }] });
      return true;
    }
    if (p === '/apis') {
      if (aggregated) {
        const body = this.memo(`agg:apis:${aggType}`, () => ({ kind: 'APIGroupDiscoveryList', apiVersion: aggType.includes('v2beta1') ? 'apidiscovery.k8s.io/v2beta1' : 'apidiscovery.k8s.io/v2', metadata: {}, items: groupNames().map(aggregatedGroup) }));
        writeJson(res, 200, body, aggType);
        return true;
      }
      writeJson(res, 200, this.memo('apis', () => ({ kind: 'APIGroupList', apiVersion: 'v1', groups: groupNames().map(apiGroup) })));
      return true;
    }
    if (p === '/api/v1') {
      writeJson(res, 200, this.memo('api/v1', () => legacyResourceList('', 'v1')));
      return true;
    }
    const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(p);
    if (m) {
      const group = m[1]!;
      const version = m[2];
      if (!groupNames().includes(group)) return false;
      if (version === undefined) {
        writeJson(res, 200, this.memo(`g:${group}`, () => ({ kind: 'APIGroup', apiVersion: 'v1', ...(apiGroup(group) as object) })));
        return true;
      }
      if (!groupVersions().some((gv) => gv.group === group && gv.version === version)) return false;
      writeJson(res, 200, this.memo(`gv:${group}/${version}`, () => legacyResourceList(group, version)));
      return true;
    }
    return false;
  }
}
