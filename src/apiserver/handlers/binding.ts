import { StatusError, badRequest, conflict } from '../../api/errors.js';
import { nowTimestamp, type KubeObject } from '../../api/types.js';
import { resourceFor } from '../../api/scheme/resources.js';
import { readObjectBody } from './write.js';
import { writeRaw } from './output.js';
import type { RequestContext } from './context.js';

const pods = resourceFor('', 'v1', 'pods')!;

/** What a binding writes, copied; spec and status below these stay shared with the cache's pod. */
function bindingCopy(pod: KubeObject): KubeObject {
  const status = pod.status as { conditions?: unknown[] } | undefined;
  return {
    ...pod,
    metadata: { ...pod.metadata },
    spec: { ...(pod.spec as object) },
    ...(status === undefined ? {} : { status: { ...status, ...(status.conditions ? { conditions: [...status.conditions] } : {}) } }),
  };
}

/**
 * pods/binding (and the older namespaced bindings resource): the scheduler's
 * one write. Sets spec.nodeName once and records PodScheduled=True.
 */
export async function handleBinding(ctx: RequestContext): Promise<void> {
  const binding = await readObjectBody(ctx, { group: '', version: 'v1', kind: 'Binding' });
  const podName = ctx.rr.resource === 'bindings' ? binding.metadata.name : ctx.rr.name;
  if (!podName) throw badRequest('binding must name the pod in metadata.name');
  if (binding.metadata.name !== undefined && binding.metadata.name !== podName) {
    throw badRequest(`the name of the binding (${binding.metadata.name}) does not match the name of the pod (${podName})`);
  }
  const target = (binding as { target?: { kind?: string; name?: string } }).target;
  if (!target?.name) {
    throw new StatusError(422, 'Invalid', `Binding "${podName}" is invalid: target.name: Required value`, { name: podName, kind: 'Binding', causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' }] });
  }
  if (target.kind && target.kind !== 'Node') {
    throw new StatusError(422, 'Invalid', `Binding "${podName}" is invalid: target.kind: Unsupported value: "${target.kind}": supported values: "Node"`, { name: podName, kind: 'Binding' });
  }
  const store = ctx.registry.storeFor(pods);
  await store.update(
    ctx.rr.namespace,
    podName,
    (pod) => {
      const p = pod as any;
      if (pod.metadata.deletionTimestamp) throw conflict({ group: '', resource: 'pods' }, podName, 'pod is being deleted, cannot be assigned to a host');
      if (p.spec?.nodeName) throw conflict({ group: '', resource: 'pods' }, podName, `pod ${podName} is already assigned to node "${p.spec.nodeName}"`);
      const wantUid = binding.metadata.uid;
      if (wantUid && wantUid !== pod.metadata.uid) throw conflict({ group: '', resource: 'pods' }, podName, `Precondition failed: UID in precondition: ${wantUid}, UID in object meta: ${pod.metadata.uid}`);
      p.spec.nodeName = target.name;
      const status = (p.status ??= {});
      const conds: any[] = (status.conditions ??= []);
      const now = nowTimestamp();
      const i = conds.findIndex((c) => c.type === 'PodScheduled');
      const cond = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now };
      if (i >= 0) conds[i] = cond;
      else conds.push(cond);
      delete pod.metadata.resourceVersion;
      return pod;
    },
    { dryRun: ctx.dryRun, subresource: 'binding', shareWritten: true, copyShared: bindingCopy },
  );
  writeRaw(ctx, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}
