import type { KubeObject } from '../../api/types.js';
import { KeyWorker } from '../shared/worker.js';
import { NAMESPACES } from '../core-resources.js';
import { concurrency, extraDurationMs } from '../options.js';
import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import { NamespaceDeleter, ResourcesRemainingError } from './deleter.js';

// Upstream's namespace-controller: a namespace with a deletionTimestamp is
// emptied and finalized by the deleter. While content is still going away
// the namespace is looked at again after half the estimated wait (plus a
// second), as upstream does; the informer's resync (--namespace-sync-period)
// catches anything else.

export async function startNamespaceController(ctx: ControllerContext): Promise<RunningController> {
  const namespaces = ctx.informers.informerFor(NAMESPACES);
  const deleter = new NamespaceDeleter(ctx.client);
  const worker: KeyWorker = new KeyWorker({
    name: 'namespace-controller',
    workers: concurrency(ctx.options, 'namespace'),
    async sync(name) {
      const ns = namespaces.store.get(name);
      if (!ns?.metadata.deletionTimestamp) return;
      try {
        await deleter.delete(name);
      } catch (err) {
        if (!(err instanceof ResourcesRemainingError)) throw err;
        worker.addAfter(name, (Math.floor(err.estimate / 2) + 1) * 1000);
      }
    },
  });
  const enqueue = (ns: KubeObject): void => {
    if (ns.metadata.deletionTimestamp) worker.add(ns.metadata.name!);
  };
  const reg = namespaces.addEventHandler({ onAdd: enqueue, onUpdate: (_old, ns) => enqueue(ns) }, extraDurationMs(ctx.options, 'namespace-sync-period'));
  worker.run([namespaces]);
  return {
    async stop() {
      reg.remove();
      await worker.stop();
    },
  };
}

export const namespaceController: ControllerDescriptor = { name: 'namespace', start: startNamespaceController };
