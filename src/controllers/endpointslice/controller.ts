import type { KubeObject } from '../../api/types.js';
import { StatusError } from '../../api/errors.js';
import { isNotFound } from '../../client/status.js';
import { splitMetaNamespaceKey } from '../../client/store.js';
import { KeyWorker, keyOf, ensureIndex } from '../shared/worker.js';
import { ENDPOINTSLICES, NODES, PODS, SERVICES } from '../core-resources.js';
import { concurrency, extraNumber } from '../options.js';
import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import { selectorMatches, type Pod, type Service } from '../endpoint/pod-endpoints.js';
import { servicesSelecting } from '../endpoint/controller.js';
import { CONTROLLER_NAME, desiredGroups, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, planSlices, type EndpointSlice } from './compute.js';
import { SliceTracker } from './tracker.js';

// Upstream's endpointslice-controller: the EndpointSlices of every Service
// with a selector, labelled kubernetes.io/service-name and managed-by
// endpointslice-controller.k8s.io, owned by the Service (the garbage
// collector removes them with it). Writes are tracked so a sync never acts
// on a cache that has not yet seen the previous sync's writes.

const SLICES_BY_SERVICE = 'endpointslice/service';
const TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';

export async function startEndpointSliceController(ctx: ControllerContext): Promise<RunningController> {
  const services = ctx.informers.informerFor<Service>(SERVICES);
  const pods = ctx.informers.informerFor<Pod>(PODS);
  const nodes = ctx.informers.informerFor(NODES);
  const slices = ctx.informers.informerFor<EndpointSlice>(ENDPOINTSLICES);
  ensureIndex(slices, SLICES_BY_SERVICE, (s) => {
    const l = s.metadata.labels ?? {};
    return l[LABEL_MANAGED_BY] === CONTROLLER_NAME && l[LABEL_SERVICE_NAME] ? [`${s.metadata.namespace}/${l[LABEL_SERVICE_NAME]}`] : [];
  });
  const recorder = ctx.recorder('endpoint-slice-controller');
  const tracker = new SliceTracker();
  const maxPerSlice = extraNumber(ctx.options, 'max-endpoints-per-slice');
  const zoneOf = (node: string): string | undefined => nodes.store.get(node)?.metadata.labels?.[TOPOLOGY_ZONE];

  const sync = async (key: string): Promise<void> => {
    const { namespace } = splitMetaNamespaceKey(key);
    const svc = services.store.get(key);
    // Slices of a deleted service go with it through their owner reference.
    if (!svc) {
      tracker.forget(key);
      return;
    }
    const selector = svc.spec?.selector;
    if (!selector || svc.spec?.type === 'ExternalName') return;
    const existing = slices.store.byIndex(SLICES_BY_SERVICE, key);
    if (tracker.stale(key, existing)) throw new Error('EndpointSlice informer cache is out of date');
    const selected = pods.store.byNamespace(namespace).filter((p) => selectorMatches(selector, p.metadata.labels));
    const plan = planSlices(svc, existing, desiredGroups(svc, selected, zoneOf), maxPerSlice);
    try {
      for (const s of plan.create) tracker.wrote(key, await ctx.client.create<EndpointSlice>(ENDPOINTSLICES, namespace, s));
      for (const s of plan.update) tracker.wrote(key, await ctx.client.update<EndpointSlice>(ENDPOINTSLICES, namespace, s));
      for (const s of plan.delete) {
        try {
          await ctx.client.delete(ENDPOINTSLICES, namespace, s.metadata.name!, { preconditions: { uid: s.metadata.uid } });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        tracker.deleted(key, s);
      }
    } catch (err) {
      if (err instanceof StatusError && err.code === 403 && /being terminated/.test(err.message)) return;
      recorder.eventf(svc, 'Warning', 'FailedToUpdateEndpointSlices', 'Error updating Endpoint Slices for Service %s/%s: %s', namespace, svc.metadata.name, (err as Error).message);
      throw err;
    }
  };

  const worker = new KeyWorker({ name: 'endpointslice-controller', workers: concurrency(ctx.options, 'service-endpoint'), sync });
  const podChanged = (...versions: Pod[]): void => {
    const all = services.store.byNamespace(versions[0]!.metadata.namespace!);
    for (const p of versions) for (const s of servicesSelecting(all, p.metadata.labels)) worker.add(keyOf(s));
  };
  const sliceChanged = (s: KubeObject): void => {
    const name = s.metadata.labels?.[LABEL_SERVICE_NAME];
    if (name && s.metadata.labels?.[LABEL_MANAGED_BY] === CONTROLLER_NAME) worker.add(`${s.metadata.namespace}/${name}`);
  };
  const regs = [
    services.addEventHandler({ onAdd: (s) => worker.add(keyOf(s)), onUpdate: (_o, s) => worker.add(keyOf(s)), onDelete: (s) => worker.add(keyOf(s)) }),
    pods.addEventHandler({ onAdd: (p) => podChanged(p), onUpdate: (o, p) => podChanged(o, p), onDelete: (p) => podChanged(p) }),
    slices.addEventHandler({
      onAdd: sliceChanged,
      onUpdate: (_o, s) => sliceChanged(s),
      onDelete: (s) => {
        const name = s.metadata.labels?.[LABEL_SERVICE_NAME];
        if (name) tracker.observedDeletion(`${s.metadata.namespace}/${name}`, s);
        sliceChanged(s);
      },
    }),
  ];
  worker.run([services, pods, nodes, slices]);
  return {
    async stop() {
      for (const r of regs) r.remove();
      await worker.stop();
    },
  };
}

export const endpointSliceController: ControllerDescriptor = { name: 'endpointslice', start: startEndpointSliceController };
