// A bare HTTP server with just what kubectl needs to validate and explain:
// legacy discovery, /version, and the OpenAPI handler under test. Writes are
// recorded and answered the way the real server answers strict decoding, so
// tests can see which query kubectl sent without the full API server.

import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadSchemaRegistry, checkFields, findDuplicateKeys, fieldValidationOutcome, parseFieldValidation } from '../../src/api/schema/index.js';
import { RESOURCES, groupVersions, resourcesIn } from '../../src/api/scheme/resources.js';
import { createOpenApiHandler } from '../../src/apiserver/openapi/handler.js';
import { StatusError } from '../../src/api/errors.js';

export interface RecordedWrite {
  method: string;
  url: string;
}

export interface OpenApiOnlyServer {
  url: string;
  kubeconfig: string;
  writes: RecordedWrite[];
  /** Paths of every request, in order. */
  requests: string[];
  close(): Promise<void>;
}

function json(res: http.ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(text);
}

function resourceList(group: string, version: string): unknown {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: resourcesIn(group, version).map((r) => ({
      name: r.resource, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs,
      shortNames: r.shortNames.length ? r.shortNames : undefined, categories: r.categories.length ? r.categories : undefined,
    })),
  };
}

export async function startOpenApiOnlyServer(): Promise<OpenApiOnlyServer> {
  const registry = loadSchemaRegistry();
  const openapi = createOpenApiHandler(registry, RESOURCES);
  const writes: RecordedWrite[] = [];
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url.pathname);
    if (openapi(req, res)) return;
    if (req.method !== 'GET') {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        writes.push({ method: req.method ?? '', url: req.url ?? '' });
        const parts = url.pathname.split('/').filter(Boolean);
        const [group, version] = parts[0] === 'api' ? ['', parts[1]] : [parts[1], parts[2]];
        const resource = parts[parts.indexOf('namespaces') >= 0 ? parts.indexOf('namespaces') + 2 : parts[0] === 'api' ? 2 : 3];
        const info = RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
        try {
          const obj = JSON.parse(body) as Record<string, unknown>;
          const schema = info && registry.forKind(group, version, info.kind);
          if (info && schema) {
            const outcome = fieldValidationOutcome({
              kind: info.kind, version, check: checkFields(schema, obj), duplicates: findDuplicateKeys(body),
              directive: parseFieldValidation(url.searchParams.get('fieldValidation')),
            });
            if (outcome.error) throw outcome.error;
          }
          json(res, 201, { ...obj, metadata: { ...(obj.metadata as object), uid: 'u1', resourceVersion: '1', namespace: 'default' } });
        } catch (e) {
          const err = e instanceof StatusError ? e : new StatusError(400, 'BadRequest', (e as Error).message);
          json(res, err.code, err.toStatus());
        }
      });
      return;
    }
    if (url.pathname === '/version') return json(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' });
    if (url.pathname === '/api') return json(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (url.pathname === '/apis') {
      const groups = new Map<string, string[]>();
      for (const gv of groupVersions()) if (gv.group) groups.set(gv.group, [...(groups.get(gv.group) ?? []), gv.version]);
      return json(res, 200, {
        kind: 'APIGroupList', apiVersion: 'v1',
        groups: [...groups].map(([name, versions]) => ({
          name,
          versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
          preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
        })),
      });
    }
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(url.pathname);
    if (m) return json(res, 200, m[1] ? resourceList('', 'v1') : resourceList(m[2], m[3]));
    json(res, 404, new StatusError(404, 'NotFound', 'the server could not find the requested resource').toStatus());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-openapi-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster: {server: "${url}"}\nusers:\n- name: u\n  user: {}\ncontexts:\n- name: t\n  context: {cluster: t, user: u}\ncurrent-context: t\n`,
  );
  return {
    url, kubeconfig, writes, requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
