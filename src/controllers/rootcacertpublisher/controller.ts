import { readFileSync } from 'node:fs';
import type { KubeObject } from '../../api/types.js';
import { StatusError } from '../../api/errors.js';
import { isAlreadyExists, isNotFound } from '../../client/status.js';
import { KeyWorker } from '../shared/worker.js';
import { CONFIGMAPS, NAMESPACES } from '../core-resources.js';
import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';

// Upstream's root-ca-cert-publisher: every namespace has a ConfigMap
// kube-root-ca.crt holding the cluster CA, which projected service-account
// volumes mount as ca.crt so in-cluster clients can verify the API server.

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';

export async function startRootCaCertPublisher(ctx: ControllerContext): Promise<RunningController> {
  const file = ctx.options.extra['root-ca-file'];
  // Upstream runs this controller only when --root-ca-file is given.
  if (!file) return { async stop() {} };
  const ca = readFileSync(file, 'utf8');
  const namespaces = ctx.informers.informerFor(NAMESPACES);
  const configmaps = ctx.informers.informerFor(CONFIGMAPS);
  const worker = new KeyWorker({
    name: 'root-ca-cert-publisher',
    workers: 1,
    async sync(ns) {
      const namespace = namespaces.store.get(ns);
      if (!namespace || namespace.metadata.deletionTimestamp) return;
      const have = configmaps.store.getByName(ns, ROOT_CA_CONFIGMAP);
      const data = (have?.data ?? {}) as Record<string, string>;
      if (have && data['ca.crt'] === ca) return;
      const cm: KubeObject = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: ROOT_CA_CONFIGMAP, namespace: ns, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } },
        data: { 'ca.crt': ca },
      };
      try {
        if (have) await ctx.client.update(CONFIGMAPS, ns, { ...cm, metadata: { ...cm.metadata, resourceVersion: have.metadata.resourceVersion } });
        else await ctx.client.create(CONFIGMAPS, ns, cm);
      } catch (err) {
        if (isAlreadyExists(err) || isNotFound(err)) return;
        if (err instanceof StatusError && err.code === 403 && /being terminated/.test(err.message)) return;
        throw err;
      }
    },
  });
  const regs = [
    namespaces.addEventHandler({
      onAdd: (ns) => worker.add(ns.metadata.name!),
      onUpdate: (_old, ns) => worker.add(ns.metadata.name!),
    }),
    configmaps.addEventHandler({
      onUpdate: (_old, cm) => {
        if (cm.metadata.name === ROOT_CA_CONFIGMAP) worker.add(cm.metadata.namespace!);
      },
      onDelete: (cm) => {
        if (cm.metadata.name === ROOT_CA_CONFIGMAP) worker.add(cm.metadata.namespace!);
      },
    }),
  ];
  worker.run([namespaces, configmaps]);
  return {
    async stop() {
      for (const r of regs) r.remove();
      await worker.stop();
    },
  };
}

export const rootCaCertPublisher: ControllerDescriptor = { name: 'root-ca-certificate-publisher', start: startRootCaCertPublisher };
