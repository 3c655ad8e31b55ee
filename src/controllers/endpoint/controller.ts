import type { KubeObject } from '../../api/types.js';
import { StatusError } from '../../api/errors.js';
import { isNotFound } from '../../client/status.js';
import { splitMetaNamespaceKey } from '../../client/store.js';
import { KeyWorker, keyOf } from '../shared/worker.js';
import { canonicalJson } from '../canonical-json.js';
import { ENDPOINTS, PODS, SERVICES } from '../core-resources.js';
import { concurrency } from '../options.js';
import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import { computeSubsets, OVER_CAPACITY_ANNOTATION, truncate, MAX_ENDPOINTS_CAPACITY, type EndpointSubset } from './compute.js';
import { HEADLESS_LABEL, isHeadless, selectorMatches, type Pod, type Service } from './pod-endpoints.js';

// Upstream's endpoints-controller: every Service with a selector has an
// Endpoints object of the same name listing its pods. Keyed by service;
// pod changes queue the services whose selectors match the pod (before and
// after the change). Services without a selector are left to their users.

interface Endpoints extends KubeObject {
  subsets?: EndpointSubset[];
}

/** Services in the pod's namespace whose selector matches these labels. */
export function servicesSelecting(services: Service[], labels: Record<string, string> | undefined): Service[] {
  return services.filter((s) => s.spec?.selector && selectorMatches(s.spec.selector, labels));
}

export function desiredLabels(svc: Service): Record<string, string> {
  const labels = { ...(svc.metadata.labels ?? {}) };
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

export async function startEndpointsController(ctx: ControllerContext): Promise<RunningController> {
  const services = ctx.informers.informerFor<Service>(SERVICES);
  const pods = ctx.informers.informerFor<Pod>(PODS);
  const endpoints = ctx.informers.informerFor<Endpoints>(ENDPOINTS);
  const recorder = ctx.recorder('endpoint-controller');

  const sync = async (key: string): Promise<void> => {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const svc = services.store.get(key);
    if (!svc) {
      try {
        await ctx.client.delete(ENDPOINTS, namespace, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
    }
    const selector = svc.spec?.selector;
    if (!selector) return;
    const selected = pods.store.byNamespace(namespace).filter((p) => selectorMatches(selector, p.metadata.labels));
    const computed = computeSubsets(svc, selected);
    const over = computed.ready + computed.notReady > MAX_ENDPOINTS_CAPACITY;
    const subsets = over ? truncate(computed.subsets, computed.ready, computed.notReady) : computed.subsets;
    const labels = desiredLabels(svc);
    const current = endpoints.store.get(key);
    const annotations = { ...(current?.metadata.annotations ?? {}) };
    if (over) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
    else delete annotations[OVER_CAPACITY_ANNOTATION];
    if (
      current &&
      canonicalJson(current.subsets ?? []) === canonicalJson(subsets) &&
      canonicalJson(current.metadata.labels ?? {}) === canonicalJson(labels) &&
      canonicalJson(current.metadata.annotations ?? {}) === canonicalJson(annotations)
    ) {
      return;
    }
    const next: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: current ? { ...current.metadata, labels, annotations } : { name, namespace, labels, annotations },
      subsets,
    };
    if (Object.keys(annotations).length === 0) delete next.metadata.annotations;
    try {
      if (current) await ctx.client.update(ENDPOINTS, namespace, next);
      else await ctx.client.create(ENDPOINTS, namespace, next);
    } catch (err) {
      // A namespace being deleted refuses new objects; its services go with it.
      if (!current && err instanceof StatusError && err.code === 403) return;
      if (current) recorder.eventf(next, 'Warning', 'FailedToUpdateEndpoint', 'Failed to update endpoint %s/%s: %s', namespace, name, (err as Error).message);
      else recorder.eventf(next, 'Warning', 'FailedToCreateEndpoint', 'Failed to create endpoint for service %s/%s: %s', namespace, name, (err as Error).message);
      throw err;
    }
  };

  const worker = new KeyWorker({ name: 'endpoints-controller', workers: concurrency(ctx.options, 'endpoint'), sync });
  const podChanged = (...versions: Pod[]): void => {
    const ns = versions[0]!.metadata.namespace!;
    const all = services.store.byNamespace(ns);
    for (const p of versions) for (const s of servicesSelecting(all, p.metadata.labels)) worker.add(keyOf(s));
  };
  const regs = [
    services.addEventHandler({ onAdd: (s) => worker.add(keyOf(s)), onUpdate: (_o, s) => worker.add(keyOf(s)), onDelete: (s) => worker.add(keyOf(s)) }),
    pods.addEventHandler({ onAdd: (p) => podChanged(p), onUpdate: (o, p) => podChanged(o, p), onDelete: (p) => podChanged(p) }),
    endpoints.addEventHandler({ onDelete: (e) => worker.add(keyOf(e)) }),
  ];
  worker.run([services, pods, endpoints]);
  return {
    async stop() {
      for (const r of regs) r.remove();
      await worker.stop();
    },
  };
}

export const endpointsController: ControllerDescriptor = { name: 'endpoint', start: startEndpointsController };
