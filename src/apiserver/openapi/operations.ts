// The REST operations of every served resource, as upstream's OpenAPI names
// and describes them (operationId, x-kubernetes-action, the GVK of the body).
// The v2 and v3 documents are two renderings of this one list, and kubectl
// reads both: it looks for the fieldValidation parameter on the PATCH
// operation whose x-kubernetes-group-version-kind is the kind it sends.

import type { ResourceInfo } from '../../api/scheme/resources.js';
import { CONNECT_KINDS, subresourceKind } from '../../api/scheme/subresources.js';

export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

export interface Param {
  name: string;
  in: 'path' | 'query' | 'body';
  description: string;
  required?: boolean;
  type?: 'string' | 'boolean' | 'integer';
  uniqueItems?: boolean;
  /** Body parameters: the definition of the body, or undefined for a free-form object. */
  schema?: string;
}

export interface Operation {
  method: 'get' | 'put' | 'post' | 'delete' | 'patch' | 'head' | 'options';
  operationId: string;
  description: string;
  action: string;
  gvk: Gvk;
  tag: string;
  consumes: string[];
  produces: string[];
  params: Param[];
  /** Definition of the 200 response body; 'string' for plain text (logs, connect). */
  response: string;
  codes: string[];
}

export interface PathEntry {
  path: string;
  group: string;
  version: string;
  params: Param[];
  ops: Operation[];
}

const JSON_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', 'application/cbor'];
const WATCH_TYPES = [
  'application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', 'application/cbor',
  'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch', 'application/cbor-seq',
];
const PATCH_TYPES = [
  'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json',
  'application/apply-patch+yaml', 'application/apply-patch+cbor',
];

const q = (name: string, type: Param['type'], description: string, extra: Partial<Param> = {}): Param => ({
  name, in: 'query', type, description, uniqueItems: true, ...extra,
});

const PRETTY = q('pretty', 'string', "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).");
const DRY_RUN = q('dryRun', 'string', 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed');
const FIELD_MANAGER = q('fieldManager', 'string', 'fieldManager is a name associated with the actor or entity that is making these changes.');
const FIELD_VALIDATION = q(
  'fieldValidation',
  'string',
  'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: - Ignore: drop them silently. - Warn: accept the request and send a warning for each such field (the default). - Strict: fail the request with a BadRequest error naming every such field.',
);
const FORCE = q('force', 'boolean', 'Force is going to "force" Apply requests: re-acquire conflicting fields owned by other people. Must be unset for non-apply patch requests.');
const LIST_PARAMS: Param[] = [
  q('allowWatchBookmarks', 'boolean', 'allowWatchBookmarks requests watch events with type "BOOKMARK".'),
  q('continue', 'string', 'The continue option should be set when retrieving more results from the server.'),
  q('fieldSelector', 'string', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  q('labelSelector', 'string', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  q('limit', 'integer', 'limit is a maximum number of responses to return for a list call.'),
  q('resourceVersion', 'string', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  q('resourceVersionMatch', 'string', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  q('sendInitialEvents', 'boolean', 'sendInitialEvents=true may be set together with watch=true to begin the watch stream with synthetic events for every existing object.'),
  q('timeoutSeconds', 'integer', 'Timeout for the list/watch call.'),
  q('watch', 'boolean', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.'),
];
const DELETE_PARAMS: Param[] = [
  DRY_RUN,
  q('gracePeriodSeconds', 'integer', 'The duration in seconds before the object should be deleted.'),
  q('orphanDependents', 'boolean', 'Deprecated: please use the PropagationPolicy.'),
  q('propagationPolicy', 'string', "Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'."),
];
const NAME = (what: string): Param => ({ name: 'name', in: 'path', required: true, type: 'string', uniqueItems: true, description: `name of the ${what}` });
const NAMESPACE: Param = { name: 'namespace', in: 'path', required: true, type: 'string', uniqueItems: true, description: 'object name and auth scope, such as for teams and projects' };
const PATH: Param = { name: 'path', in: 'path', required: true, type: 'string', uniqueItems: true, description: 'path to the resource' };

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

const body = (schema: string | undefined, required = true): Param => ({ name: 'body', in: 'body', required, description: '', schema });

/** apps → Apps, rbac.authorization.k8s.io → RbacAuthorization, '' → Core: upstream's operationId and tag stems. */
export function groupStem(group: string): string {
  if (!group) return 'Core';
  return group.replace(/\.k8s\.io$/, '').split('.').map((p) => p[0].toUpperCase() + p.slice(1)).join('');
}

function tagOf(group: string, version: string): string {
  const stem = groupStem(group);
  return `${stem[0].toLowerCase()}${stem.slice(1)}_${version}`;
}

const cap = (s: string) => s[0].toUpperCase() + s.slice(1);

/** What each subresource takes and returns, where that differs from the parent kind. */
function subresourceGvk(r: ResourceInfo, sub: string): Gvk {
  return subresourceKind(r, sub);
}

export interface DefinitionLookup {
  /** The definition name for a GVK, when we have its schema. */
  nameFor(gvk: Gvk): string | undefined;
}

export function buildOperations(resources: readonly ResourceInfo[], defs: DefinitionLookup): PathEntry[] {
  const entries: PathEntry[] = [];
  for (const r of resources) entries.push(...resourcePaths(r, defs));
  return entries;
}

function resourcePaths(r: ResourceInfo, defs: DefinitionLookup): PathEntry[] {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const stem = `${groupStem(r.group)}${cap(r.version)}`;
  const tag = tagOf(r.group, r.version);
  const gvk: Gvk = { group: r.group, version: r.version, kind: r.kind };
  const kindDef = defs.nameFor(gvk);
  const listDef = defs.nameFor({ ...gvk, kind: r.listKind });
  const scope = r.namespaced ? 'Namespaced' : '';
  const collection = r.namespaced ? `${base}/namespaces/{namespace}/${r.resource}` : `${base}/${r.resource}`;
  const scopeParams = r.namespaced ? [NAMESPACE] : [];
  const has = (v: string) => (r.verbs as string[]).includes(v);
  const out: PathEntry[] = [];
  const entry = (path: string, params: Param[]): PathEntry => {
    const e: PathEntry = { path, group: r.group, version: r.version, params: [...params, PRETTY], ops: [] };
    out.push(e);
    return e;
  };
  const op = (o: Omit<Operation, 'tag' | 'codes' | 'consumes' | 'produces'> & Partial<Operation>): Operation => ({
    tag,
    codes: ['200'],
    consumes: ['*/*'],
    produces: JSON_TYPES,
    ...o,
  });
  const writeParams = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];

  const coll = entry(collection, scopeParams);
  if (has('list')) {
    coll.ops.push(op({ method: 'get', operationId: `list${stem}${scope}${r.kind}`, description: `list or watch objects of kind ${r.kind}`, action: 'list', gvk, params: LIST_PARAMS, response: listDef ?? '', produces: WATCH_TYPES }));
  }
  if (has('create')) {
    coll.ops.push(op({ method: 'post', operationId: `create${stem}${scope}${r.kind}`, description: `create ${article(r.kind)}`, action: 'post', gvk, params: [body(kindDef), ...writeParams], response: kindDef ?? '', codes: ['200', '201', '202'] }));
  }
  if (has('deletecollection')) {
    coll.ops.push(op({ method: 'delete', operationId: `delete${stem}Collection${scope}${r.kind}`, description: `delete collection of ${r.kind}`, action: 'deletecollection', gvk, params: [body(`${META}.DeleteOptions`, false), ...LIST_PARAMS.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks'), ...DELETE_PARAMS.slice(1), DRY_RUN], response: `${META}.Status` }));
  }
  if (!coll.ops.length) out.pop();

  if (has('get') || has('update') || has('patch') || has('delete')) {
    const item = entry(`${collection}/{name}`, [NAME(r.kind), ...scopeParams]);
    if (has('get')) item.ops.push(op({ method: 'get', operationId: `read${stem}${scope}${r.kind}`, description: `read the specified ${r.kind}`, action: 'get', gvk, params: [], response: kindDef ?? '' }));
    if (has('update')) item.ops.push(op({ method: 'put', operationId: `replace${stem}${scope}${r.kind}`, description: `replace the specified ${r.kind}`, action: 'put', gvk, params: [body(kindDef), ...writeParams], response: kindDef ?? '', codes: ['200', '201'] }));
    if (has('delete')) item.ops.push(op({ method: 'delete', operationId: `delete${stem}${scope}${r.kind}`, description: `delete ${article(r.kind)}`, action: 'delete', gvk, params: [body(`${META}.DeleteOptions`, false), ...DELETE_PARAMS], response: `${META}.Status`, codes: ['200', '202'] }));
    if (has('patch')) item.ops.push(patchOp(op, `patch${stem}${scope}${r.kind}`, `partially update the specified ${r.kind}`, gvk, kindDef));
  }

  if (has('list') && r.namespaced) {
    entry(`${base}/${r.resource}`, []).ops.push(op({ method: 'get', operationId: `list${stem}${r.kind}ForAllNamespaces`, description: `list or watch objects of kind ${r.kind}`, action: 'list', gvk, params: LIST_PARAMS, response: listDef ?? '', produces: WATCH_TYPES }));
  }
  if (has('watch')) {
    const watchBase = r.namespaced ? `${base}/watch/namespaces/{namespace}/${r.resource}` : `${base}/watch/${r.resource}`;
    const watchEvent = `${META}.WatchEvent`;
    entry(watchBase, scopeParams).ops.push(op({ method: 'get', operationId: `watch${stem}${scope}${r.kind}List`, description: `watch individual changes to a list of ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead.`, action: 'watchlist', gvk, params: LIST_PARAMS, response: watchEvent, produces: WATCH_TYPES }));
    entry(`${watchBase}/{name}`, [NAME(r.kind), ...scopeParams]).ops.push(op({ method: 'get', operationId: `watch${stem}${scope}${r.kind}`, description: `watch changes to an object of kind ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.`, action: 'watch', gvk, params: LIST_PARAMS, response: watchEvent, produces: WATCH_TYPES }));
    if (r.namespaced) {
      entry(`${base}/watch/${r.resource}`, []).ops.push(op({ method: 'get', operationId: `watch${stem}${r.kind}ListForAllNamespaces`, description: `watch individual changes to a list of ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead.`, action: 'watchlist', gvk, params: LIST_PARAMS, response: watchEvent, produces: WATCH_TYPES }));
    }
  }

  for (const sub of r.subresources) subresourcePaths(r, sub, { collection, stem, scope, scopeParams, op, entry, defs });
  return out;
}

interface SubCtx {
  collection: string;
  stem: string;
  scope: string;
  scopeParams: Param[];
  op: (o: Omit<Operation, 'tag' | 'codes' | 'consumes' | 'produces'> & Partial<Operation>) => Operation;
  entry: (path: string, params: Param[]) => PathEntry;
  defs: DefinitionLookup;
}

/** Adds the paths of one subresource through c.entry. */
function subresourcePaths(r: ResourceInfo, sub: string, c: SubCtx): void {
  const gvk = subresourceGvk(r, sub);
  const def = c.defs.nameFor(gvk);
  const id = `${c.stem}${c.scope}${r.kind}${cap(sub)}`;
  const path = `${c.collection}/{name}/${sub}`;
  const params = [NAME(gvk.kind), ...c.scopeParams];
  const writeParams = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
  switch (sub) {
    case 'status':
    case 'scale':
    case 'ephemeralcontainers': {
      const e = c.entry(path, params);
      e.ops.push(
        c.op({ method: 'get', operationId: `read${id}`, description: `read ${sub} of the specified ${r.kind}`, action: 'get', gvk, params: [], response: def ?? '' }),
        c.op({ method: 'put', operationId: `replace${id}`, description: `replace ${sub} of the specified ${r.kind}`, action: 'put', gvk, params: [body(def), ...writeParams], response: def ?? '', codes: ['200', '201'] }),
        patchOp(c.op, `patch${id}`, `partially update ${sub} of the specified ${r.kind}`, gvk, def),
      );
      return;
    }
    case 'binding':
    case 'eviction':
    case 'token':
      c.entry(path, params).ops.push(c.op({ method: 'post', operationId: `create${id}`, description: `create ${sub} of ${article(r.kind)}`, action: 'post', gvk, params: [body(def), ...writeParams], response: def ?? '', codes: ['200', '201', '202'] }));
      return;
    case 'finalize':
      c.entry(path, params).ops.push(c.op({ method: 'put', operationId: `replace${id}`, description: `replace finalize of the specified ${r.kind}`, action: 'put', gvk, params: [body(def), ...writeParams], response: def ?? '', codes: ['200', '201'] }));
      return;
    case 'log':
      c.entry(path, params).ops.push(c.op({
        method: 'get', operationId: `read${id}`, description: `read log of the specified ${r.kind}`, action: 'get', gvk, response: 'string',
        produces: ['text/plain', 'application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'],
        params: ['container', 'follow', 'insecureSkipTLSVerifyBackend', 'limitBytes', 'previous', 'sinceSeconds', 'stream', 'tailLines', 'timestamps'].map((n) =>
          q(n, n === 'limitBytes' || n === 'sinceSeconds' || n === 'tailLines' ? 'integer' : n === 'container' || n === 'stream' ? 'string' : 'boolean', `${n} option of the log request`)),
      }));
      return;
    default: {
      if (!CONNECT_KINDS[`${r.resource}/${sub}`]) return;
      const methods: Operation['method'][] = sub === 'proxy' ? ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] : ['get', 'post'];
      const connect = (e: PathEntry, suffix: string) => {
        for (const m of methods) {
          e.ops.push(c.op({ method: m, operationId: `connect${c.stem}${cap(m)}${c.scope}${r.kind}${cap(sub)}${suffix}`, description: `connect ${m.toUpperCase()} requests to ${sub} of ${r.kind}`, action: 'connect', gvk, params: [], response: 'string', produces: ['*/*'] }));
        }
      };
      connect(c.entry(path, params), '');
      if (sub === 'proxy') connect(c.entry(`${path}/{path}`, [...params, PATH]), 'WithPath');
    }
  }
}

function patchOp(op: SubCtx['op'], operationId: string, description: string, gvk: Gvk, def: string | undefined): Operation {
  return op({
    method: 'patch', operationId, description, action: 'patch', gvk, consumes: PATCH_TYPES, response: def ?? '', codes: ['200', '201'],
    params: [body(`${META}.Patch`), DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE],
  });
}

function article(kind: string): string {
  return `${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind}`;
}
