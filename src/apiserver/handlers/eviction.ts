import { StatusError, badRequest, conflict, internalError } from '../../api/errors.js';
import { nowTimestamp, type KubeObject } from '../../api/types.js';
import { resourceFor } from '../../api/scheme/resources.js';
import { fromMetaSelector, matchesLabels } from '../../api/selectors/labels.js';
import { readBody, decodeBody } from '../http/body.js';
import { checkNamespace, decodeObject } from './decode.js';
import { writeRaw } from './output.js';
import type { DeleteParams } from '../registry/resource-store.js';
import type { RequestContext } from './context.js';

// pods/eviction, as upstream's registry/core/pod/storage/eviction.go: a pod
// is deleted only if the one PodDisruptionBudget selecting it allows a
// disruption, and that allowance is taken with a compare-and-swap on the
// budget's status (recording the pod in status.disruptedPods) so that two
// concurrent evictions cannot both spend the last one.

const PODS = resourceFor('', 'v1', 'pods')!;
const PDBS = resourceFor('policy', 'v1', 'poddisruptionbudgets')!;
/** Upstream's MaxDisruptedPodSize. */
const MAX_DISRUPTED_PODS = 2000;
const RETRIES = 5;

interface Pod extends KubeObject {
  status?: { phase?: string; conditions?: { type: string; status: string; [k: string]: unknown }[] };
}

interface Pdb extends KubeObject {
  spec?: { selector?: unknown; unhealthyPodEvictionPolicy?: string };
  status?: { observedGeneration?: number; disruptionsAllowed?: number; currentHealthy?: number; desiredHealthy?: number; disruptedPods?: Record<string, string>; conditions?: { type: string; status: string; reason?: string; [k: string]: unknown }[] };
}

const isReady = (p: Pod): boolean => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** A pod that is terminal, not yet running, or already going disrupts nothing more by leaving. */
function canIgnorePdb(p: Pod): boolean {
  const phase = p.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!p.metadata.deletionTimestamp;
}

function tooManyRequests(message: string, retryAfterSeconds: number): StatusError {
  return new StatusError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
    retryAfterSeconds: retryAfterSeconds || undefined,
    causes: [{ reason: 'DisruptionBudget', message }],
  });
}

function deleteOptionsOf(body: Record<string, unknown>, dryRun: boolean): DeleteParams {
  const o = (body.deleteOptions ?? {}) as Record<string, unknown>;
  const p: DeleteParams = { dryRun: dryRun || (Array.isArray(o.dryRun) && o.dryRun.includes('All')) };
  if (typeof o.gracePeriodSeconds === 'number') p.gracePeriodSeconds = Math.max(0, o.gracePeriodSeconds);
  if (typeof o.propagationPolicy === 'string') p.propagationPolicy = o.propagationPolicy as DeleteParams['propagationPolicy'];
  if (o.orphanDependents === true) p.propagationPolicy = 'Orphan';
  if (o.preconditions && typeof o.preconditions === 'object') p.preconditions = { ...(o.preconditions as DeleteParams['preconditions']) };
  return p;
}

export async function handleEviction(ctx: RequestContext): Promise<void> {
  const raw = await readBody(ctx.req);
  const body = (await decodeBody(raw, ctx.req.headers['content-type'])) as Record<string, unknown> | null;
  const av = typeof body?.apiVersion === 'string' ? body.apiVersion : 'policy/v1';
  if (av !== 'policy/v1' && av !== 'policy/v1beta1') throw badRequest(`the API version in the data (${av}) does not match the expected API version (policy/v1)`);
  const ct = (ctx.req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim();
  const eviction = decodeObject(ctx, body, ct === 'application/json' ? raw.toString('utf8') : undefined, { group: 'policy', version: av.slice('policy/'.length), kind: 'Eviction' });
  checkNamespace(ctx, eviction);
  const name = ctx.rr.name!;
  if (eviction.metadata.name !== name) throw badRequest('name in URL does not match name in Eviction object');
  const opts = deleteOptionsOf(eviction as Record<string, unknown>, ctx.dryRun);
  if (ctx.admission) {
    await ctx.admission.validate(
      { operation: 'CREATE', group: '', version: 'v1', resource: 'pods', subresource: 'eviction', kind: 'Eviction', namespace: ctx.rr.namespace, name, user: ctx.user, dryRun: opts.dryRun },
      eviction,
      undefined,
    );
  }
  await evict(ctx, name, opts);
  writeRaw(ctx, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

async function evict(ctx: RequestContext, name: string, opts: DeleteParams): Promise<void> {
  const ns = ctx.rr.namespace;
  const pods = ctx.registry.storeFor(PODS);
  const callerPinnedVersion = !!opts.preconditions?.resourceVersion;
  let pod: Pod | undefined;
  for (let attempt = 0; ; attempt++) {
    pod = (await pods.get(ns, name)) as Pod;
    if (!canIgnorePdb(pod)) break;
    // A pending pod could start running meanwhile: delete exactly the version looked at.
    const o = !callerPinnedVersion && pod.status?.phase === 'Pending' ? { ...opts, preconditions: { ...opts.preconditions, resourceVersion: pod.metadata.resourceVersion } } : opts;
    try {
      await deleteWithCondition(ctx, pod, o);
      return;
    } catch (err) {
      if (callerPinnedVersion || !(err instanceof StatusError && err.code === 409) || attempt >= RETRIES) throw err;
    }
  }
  const pdbs = ((await ctx.registry.storeFor(PDBS).list({ namespace: ns })).items as Pdb[]).filter((pdb) => selectsPod(pdb, pod!));
  if (pdbs.length > 1) throw internalError('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  if (pdbs.length === 0) {
    await deleteWithCondition(ctx, pod, opts);
    return;
  }
  const pdb = pdbs[0]!;
  const pinned = (): DeleteParams => (callerPinnedVersion ? opts : { ...opts, preconditions: { ...opts.preconditions, resourceVersion: pod!.metadata.resourceVersion } });
  // An unready pod adds nothing to the budget: evict it when the budget is healthy anyway, or when the budget says so.
  if (!isReady(pod)) {
    if (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow') {
      await deleteWithCondition(ctx, pod, pinned());
      return;
    }
    const s = pdb.status ?? {};
    if ((s.currentHealthy ?? 0) >= (s.desiredHealthy ?? 0) && (s.desiredHealthy ?? 0) > 0) {
      await deleteWithCondition(ctx, pod, pinned());
      return;
    }
  }
  await checkAndDecrement(ctx, pdb.metadata.name!, name, !!opts.dryRun);
  await deleteWithCondition(ctx, pod, opts);
}

function selectsPod(pdb: Pdb, pod: Pod): boolean {
  if (pdb.spec?.selector === undefined || pdb.spec.selector === null) return false;
  try {
    return matchesLabels(fromMetaSelector(pdb.spec.selector as Parameters<typeof fromMetaSelector>[0]), pod.metadata.labels);
  } catch {
    return false;
  }
}

/** Takes one disruption from the budget, or refuses with 429; the store's compare-and-swap retries on a concurrent write. */
async function checkAndDecrement(ctx: RequestContext, pdbName: string, podName: string, dryRun: boolean): Promise<void> {
  await ctx.registry.storeFor(PDBS).update(
    ctx.rr.namespace,
    pdbName,
    (cur) => {
      const pdb = cur as Pdb;
      const s = (pdb.status ??= {});
      if ((s.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) throw tooManyRequests(`The disruption budget ${pdbName} is still being processed by the server.`, 10);
      const allowed = s.disruptionsAllowed ?? 0;
      if (allowed < 0) throw new StatusError(403, 'Forbidden', `poddisruptionbudget.policy "${pdbName}" is forbidden: pdb disruptions allowed is negative`, { name: pdbName, group: 'policy', kind: 'poddisruptionbudget' });
      if (Object.keys(s.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
        throw new StatusError(403, 'Forbidden', `poddisruptionbudget.policy "${pdbName}" is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller`, { name: pdbName, group: 'policy', kind: 'poddisruptionbudget' });
      }
      if (allowed === 0) throw tooManyRequests(`The disruption budget ${pdbName} needs ${s.desiredHealthy ?? 0} healthy pods and has ${s.currentHealthy ?? 0} currently`, 0);
      s.disruptionsAllowed = allowed - 1;
      if (s.disruptionsAllowed === 0) {
        const conds = s.conditions ?? [];
        const i = conds.findIndex((c) => c.type === 'DisruptionAllowed');
        const c = { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration: s.observedGeneration, lastTransitionTime: nowTimestamp() };
        if (i < 0) conds.push(c);
        else if (conds[i]!.status !== 'False') conds[i] = c;
        else conds[i] = { ...conds[i]!, reason: 'InsufficientPods' };
        s.conditions = conds;
      }
      s.disruptedPods = { ...(s.disruptedPods ?? {}), [podName]: nowTimestamp() };
      return pdb;
    },
    { subresource: 'status', dryRun },
  );
}

/** Marks the pod DisruptionTarget (EvictionByEvictionAPI) and deletes it with the caller's options. */
async function deleteWithCondition(ctx: RequestContext, pod: Pod, opts: DeleteParams): Promise<void> {
  const pods = ctx.registry.storeFor(PODS);
  if (!opts.dryRun) {
    const pre = opts.preconditions;
    const { object } = await pods.update(
      pod.metadata.namespace,
      pod.metadata.name!,
      (cur) => {
        if (pre?.uid && pre.uid !== cur.metadata.uid) throw conflict({ group: '', resource: 'pods' }, cur.metadata.name!, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`);
        if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
          throw conflict({ group: '', resource: 'pods' }, cur.metadata.name!, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`);
        }
        const p = cur as Pod;
        const conds = (p.status ??= {}).conditions ?? [];
        p.status.conditions = [...conds.filter((c) => c.type !== 'DisruptionTarget'), { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: nowTimestamp() }];
        delete p.metadata.resourceVersion;
        return p;
      },
      { subresource: 'status' },
    );
    // We moved the version the precondition names; carry the pin forward to our own write.
    if (pre?.resourceVersion) opts = { ...opts, preconditions: { ...pre, resourceVersion: object.metadata.resourceVersion } };
  }
  await pods.delete(pod.metadata.namespace, pod.metadata.name!, opts);
}
