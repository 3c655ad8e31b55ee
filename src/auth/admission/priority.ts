import { StatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { resourceFor } from '../../api/scheme/resources.js';
import { admissionForbidden, isPod, listNamespace, type AdmissionAttributes, type AdmissionContext } from './types.js';

// Upstream's Priority plugin: a new pod's priorityClassName (or the global
// default class) becomes spec.priority and spec.preemptionPolicy, an unknown
// class is refused, and at most one PriorityClass may be the global default.

const PRIORITY_CLASSES = resourceFor('scheduling.k8s.io', 'v1', 'priorityclasses')!;

interface PriorityClass extends KubeObject {
  value?: number;
  globalDefault?: boolean;
  preemptionPolicy?: string;
}

async function classes(ctx: AdmissionContext): Promise<PriorityClass[]> {
  return (await listNamespace(ctx, PRIORITY_CLASSES, '')) as PriorityClass[];
}

/** The default class: of several marked default (possible only through races), the lowest value wins. */
async function defaultClass(ctx: AdmissionContext): Promise<PriorityClass | undefined> {
  let best: PriorityClass | undefined;
  for (const pc of await classes(ctx)) {
    if (pc.globalDefault && (!best || (pc.value ?? 0) < (best.value ?? 0))) best = pc;
  }
  return best;
}

async function lookup(ctx: AdmissionContext, name: string): Promise<PriorityClass | undefined> {
  const cached = (await classes(ctx)).find((pc) => pc.metadata.name === name);
  if (cached) return cached;
  // The cache may not have seen a class created a moment ago.
  try {
    return (await ctx.registry.storeFor(PRIORITY_CLASSES).get(undefined, name)) as PriorityClass;
  } catch (err) {
    if (err instanceof StatusError && err.code === 404) return undefined;
    throw err;
  }
}

export async function mutatePriority(a: AdmissionAttributes, obj: KubeObject | undefined, old: KubeObject | undefined, ctx: AdmissionContext): Promise<void> {
  if (!isPod(a) || a.subresource || !obj) return;
  const spec = (obj.spec ??= {}) as { priorityClassName?: string; priority?: number; preemptionPolicy?: string };
  if (a.operation === 'UPDATE') {
    // Set on create; validation keeps them immutable, so only fill in what the client left out.
    const o = (old?.spec ?? {}) as typeof spec;
    if (spec.priority === undefined && o.priority !== undefined) spec.priority = o.priority;
    if (spec.preemptionPolicy === undefined && o.preemptionPolicy !== undefined) spec.preemptionPolicy = o.preemptionPolicy;
    return;
  }
  if (a.operation !== 'CREATE') return;
  let priority = 0;
  let policy: string | undefined = 'PreemptLowerPriority';
  if (!spec.priorityClassName) {
    const d = await defaultClass(ctx);
    if (d) {
      spec.priorityClassName = d.metadata.name;
      priority = d.value ?? 0;
      policy = d.preemptionPolicy;
    }
  } else {
    const pc = await lookup(ctx, spec.priorityClassName);
    if (!pc) throw admissionForbidden(a, `no PriorityClass with name ${spec.priorityClassName} was found`);
    priority = pc.value ?? 0;
    policy = pc.preemptionPolicy;
  }
  if (spec.priority !== undefined && spec.priority !== null && spec.priority !== priority) {
    throw admissionForbidden(a, `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
  }
  spec.priority = priority;
  if (policy) {
    if (spec.preemptionPolicy && spec.preemptionPolicy !== policy) {
      throw admissionForbidden(a, `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
    }
    spec.preemptionPolicy = policy;
  }
}

export async function validatePriorityClassDefault(a: AdmissionAttributes, obj: KubeObject | undefined, _old: KubeObject | undefined, ctx: AdmissionContext): Promise<void> {
  if (a.group !== 'scheduling.k8s.io' || a.resource !== 'priorityclasses' || a.subresource || !obj) return;
  if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
  if (!(obj as PriorityClass).globalDefault) return;
  const d = await defaultClass(ctx);
  if (d && (a.operation === 'CREATE' || d.metadata.name !== obj.metadata.name)) {
    throw admissionForbidden(a, `PriorityClass ${d.metadata.name} is already marked as default. Only one default can exist`);
  }
}
