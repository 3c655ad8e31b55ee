// Defaults for the remaining core/v1 kinds and what their registries set on create.

import { canonicalizeResourceList, ensure, list, rec, setIfEmpty, setIfUnset, type Obj } from './util.js';
import { defaultPodTemplate } from './pod.js';

export function defaultNamespace(obj: Obj): void {
  const meta = ensure(obj, 'metadata');
  if (typeof meta.name === 'string' && meta.name) {
    const labels = ensure(meta, 'labels');
    labels['kubernetes.io/metadata.name'] = meta.name;
  }
  const spec = ensure(obj, 'spec');
  if (!Array.isArray(spec.finalizers) || spec.finalizers.length === 0) spec.finalizers = ['kubernetes'];
  const status = ensure(obj, 'status');
  setIfEmpty(status, 'phase', 'Active');
}

/** Type Opaque, and stringData folded into data as the v1 conversion does. */
export function defaultSecret(obj: Obj): void {
  setIfEmpty(obj, 'type', 'Opaque');
  const sd = rec(obj.stringData);
  if (sd) {
    const data = ensure(obj, 'data');
    for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    delete obj.stringData;
  }
}

export function defaultNode(obj: Obj): void {
  const status = rec(obj.status);
  if (!status) return;
  canonicalizeResourceList(status.capacity);
  canonicalizeResourceList(status.allocatable);
  if (rec(status.capacity) && !rec(status.allocatable)) status.allocatable = { ...rec(status.capacity) };
}

export function defaultEndpoints(obj: Obj): void {
  for (const ss of list(obj.subsets)) for (const p of list(ss.ports)) setIfEmpty(p, 'protocol', 'TCP');
}

export function defaultReplicationController(obj: Obj): void {
  const spec = ensure(obj, 'spec');
  const tlabels = rec(rec(rec(spec.template)?.metadata)?.labels);
  if (tlabels) {
    if (Object.keys(rec(spec.selector) ?? {}).length === 0) spec.selector = { ...tlabels };
    const meta = ensure(obj, 'metadata');
    if (Object.keys(rec(meta.labels) ?? {}).length === 0) meta.labels = { ...tlabels };
  }
  setIfUnset(spec, 'replicas', 1);
  defaultPodTemplate(spec.template);
}

export function defaultLimitRange(obj: Obj): void {
  for (const item of list(rec(obj.spec)?.limits)) {
    for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) canonicalizeResourceList(item[k]);
    if (item.type !== 'Container') continue;
    // Default limits fall back to max, default requests to the default limit, then to min.
    const max = rec(item.max) ?? {};
    const dflt = ensure(item, 'default');
    for (const [k, v] of Object.entries(max)) if (!(k in dflt)) dflt[k] = v;
    const req = ensure(item, 'defaultRequest');
    for (const [k, v] of Object.entries(dflt)) if (!(k in req)) req[k] = v;
    for (const [k, v] of Object.entries(rec(item.min) ?? {})) if (!(k in req)) req[k] = v;
    if (Object.keys(dflt).length === 0) delete item.default;
    if (Object.keys(req).length === 0) delete item.defaultRequest;
  }
}

export function defaultResourceQuota(obj: Obj): void {
  canonicalizeResourceList(rec(obj.spec)?.hard);
}

export function defaultEndpointSlice(obj: Obj): void {
  for (const p of list(obj.ports)) {
    setIfUnset(p, 'name', '');
    setIfUnset(p, 'protocol', 'TCP');
  }
}
