import { StatusError, badRequest, notFound } from '../../api/errors.js';
import { Quantity } from '../../api/quantity.js';
import { resourceFor, type ResourceInfo } from '../../api/scheme/resources.js';
import { nowTimestamp, type KubeObject } from '../../api/types.js';
import { parseLabelSelector } from '../../api/selectors/labels.js';
import { parseFieldSelector } from '../../api/selectors/fields.js';
import type { ListParams } from '../registry/resource-store.js';
import type { RequestContext } from '../handlers/context.js';
import { writeJson } from '../http/respond.js';
import type { Usage } from './rates.js';
import { metricsServiceFor } from './service.js';

// GET and LIST of metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics, with
// metrics-server's shapes: usage as quantities (CPU in nanocores, memory in
// bytes, BinarySI), the time of the later point and the window between the
// two. Selectors apply to the nodes' and pods' own labels.

export const GROUP = 'metrics.k8s.io';
const VERSION = 'v1beta1';
const NODES = resourceFor('', 'v1', 'nodes')!;
const PODS = resourceFor('', 'v1', 'pods')!;

export const isMetrics = (info: ResourceInfo): boolean => info.group === GROUP;

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** A Go duration as metrics-server prints the window: "15s", "15.012s". */
export function goDuration(ms: number): string {
  const s = Math.round(ms) / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
}

export function usageQuantities(u: { cpu: number; memory: number }): { cpu: string; memory: string } {
  return { cpu: new Quantity(BigInt(Math.max(0, Math.round(u.cpu))), -9).toString(), memory: new Quantity(BigInt(Math.max(0, Math.round(u.memory))), 0, 'BinarySI').toString() };
}

function meta(o: KubeObject): Record<string, unknown> {
  const m: Record<string, unknown> = { name: o.metadata.name };
  if (o.metadata.namespace) m.namespace = o.metadata.namespace;
  m.creationTimestamp = nowTimestamp();
  if (o.metadata.labels) m.labels = o.metadata.labels;
  return m;
}

function nodeMetrics(node: KubeObject, u: Usage): KubeObject {
  return { kind: 'NodeMetrics', apiVersion: `${GROUP}/${VERSION}`, metadata: meta(node) as KubeObject['metadata'], timestamp: iso(u.ts), window: goDuration(u.windowMs), usage: usageQuantities(u) };
}

function podMetrics(pod: KubeObject, containers: Map<string, Usage>): KubeObject {
  const all = [...containers.values()];
  const ts = Math.max(...all.map((u) => u.ts));
  const window = Math.max(...all.map((u) => u.windowMs));
  // Containers in the pod's spec order, as metrics-server lists them.
  const order: string[] = ((pod.spec as any)?.containers ?? []).map((c: any) => c.name);
  const names = [...containers.keys()].sort((a, b) => (order.indexOf(a) + 1 || 1e9) - (order.indexOf(b) + 1 || 1e9) || a.localeCompare(b));
  return {
    kind: 'PodMetrics',
    apiVersion: `${GROUP}/${VERSION}`,
    metadata: meta(pod) as KubeObject['metadata'],
    timestamp: iso(ts),
    window: goDuration(window),
    containers: names.map((name) => ({ name, usage: usageQuantities(containers.get(name)!) })),
  };
}

function listParams(ctx: RequestContext, target: ResourceInfo): ListParams {
  const p: ListParams = { namespace: target.namespaced ? ctx.rr.namespace : undefined };
  const ls = ctx.query.get('labelSelector');
  if (ls) p.labelSelector = parseLabelSelector(ls);
  const fs = ctx.query.get('fieldSelector');
  if (fs) {
    const sel = parseFieldSelector(fs);
    const known = ctx.registry.storeFor(target).selectableFieldNames;
    for (const r of sel) if (!known.includes(r.field)) throw badRequest(`field label not supported: ${r.field}`);
    p.fieldSelector = sel;
  }
  return p;
}

export async function handleMetrics(ctx: RequestContext): Promise<void> {
  const { rr, info } = ctx;
  if (rr.subresource !== undefined) throw notFound({ group: GROUP, resource: `${info.resource}/${rr.subresource}` }, rr.name ?? '');
  if (rr.verb === 'watch') throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  const svc = metricsServiceFor(ctx.registry);
  await svc.ready();
  const isNode = info.resource === 'nodes';
  const target = isNode ? NODES : PODS;
  const gr = { group: GROUP, resource: isNode ? 'nodemetrics' : 'podmetrics' };
  const store = ctx.registry.storeFor(target);
  let objects: KubeObject[];
  if (rr.verb === 'get') {
    try {
      objects = [await store.get(target.namespaced ? rr.namespace : undefined, rr.name!)];
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) throw notFound(gr, rr.name!);
      throw err;
    }
  } else {
    objects = (await store.list(listParams(ctx, target))).items;
  }
  const items = isNode ? svc.nodeUsage(objects).map((n) => nodeMetrics(n.node, n.usage)) : svc.podUsage(objects).map((p) => podMetrics(p.pod, p.containers));
  if (rr.verb === 'get') {
    if (!items.length) throw notFound(gr, rr.name!);
    writeJson(ctx.res, 200, items[0]);
    return;
  }
  writeJson(ctx.res, 200, { kind: isNode ? 'NodeMetricsList' : 'PodMetricsList', apiVersion: `${GROUP}/${VERSION}`, metadata: {}, items });
}
