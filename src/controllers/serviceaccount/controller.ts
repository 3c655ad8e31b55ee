import type { KubeObject } from '../../api/types.js';
import { isAlreadyExists } from '../../client/status.js';
import { StatusError } from '../../api/errors.js';
import { KeyWorker } from '../shared/worker.js';
import { NAMESPACES, SERVICEACCOUNTS } from '../core-resources.js';
import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';

// Upstream's serviceaccounts-controller: every active namespace has the
// ServiceAccounts named in its options (just "default"). Keyed by namespace;
// a deleted default account brings its namespace back into the queue.

export const DEFAULT_SERVICE_ACCOUNTS = ['default'];

export async function startServiceAccountController(ctx: ControllerContext): Promise<RunningController> {
  const namespaces = ctx.informers.informerFor(NAMESPACES);
  const accounts = ctx.informers.informerFor(SERVICEACCOUNTS);
  const worker = new KeyWorker({
    name: 'serviceaccount-controller',
    workers: 1,
    async sync(ns) {
      const namespace = namespaces.store.get(ns);
      // Terminating namespaces refuse new content; nothing to do for them.
      if (!namespace || namespace.metadata.deletionTimestamp || (namespace.status as { phase?: string } | undefined)?.phase !== 'Active') return;
      for (const name of DEFAULT_SERVICE_ACCOUNTS) {
        if (accounts.store.getByName(ns, name)) continue;
        const sa: KubeObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } };
        try {
          await ctx.client.create(SERVICEACCOUNTS, ns, sa);
        } catch (err) {
          if (isAlreadyExists(err)) continue;
          // The namespace began terminating since our cache saw it.
          if (err instanceof StatusError && err.code === 403 && /being terminated/.test(err.message)) continue;
          throw err;
        }
      }
    },
  });
  const regs = [
    namespaces.addEventHandler({
      onAdd: (ns) => worker.add(ns.metadata.name!),
      onUpdate: (_old, ns) => worker.add(ns.metadata.name!),
    }),
    accounts.addEventHandler({
      onDelete: (sa) => {
        if (DEFAULT_SERVICE_ACCOUNTS.includes(sa.metadata.name!)) worker.add(sa.metadata.namespace!);
      },
    }),
  ];
  worker.run([namespaces, accounts]);
  return {
    async stop() {
      for (const r of regs) r.remove();
      await worker.stop();
    },
  };
}

export const serviceAccountController: ControllerDescriptor = { name: 'serviceaccount', start: startServiceAccountController };
