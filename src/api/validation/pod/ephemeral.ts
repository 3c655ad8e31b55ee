// Ephemeral containers (pods/ephemeralcontainers), as upstream's
// validateEphemeralContainers and ValidatePodEphemeralContainersUpdate:
// each new one is a container without ports, probes, lifecycle or
// resources, named uniquely across the pod, targeting one of the pod's own
// containers; the ones already there can be neither changed nor removed.

import type { KubeObject } from '../../types.js';
import { child, duplicate, forbidden, index, notFound, type FieldError } from '../field.js';
import { asArray, asRecord, semanticEqual, str, type Obj } from '../util.js';
import { validateContainerCommon, type PodContext } from './container.js';
import { validateVolumes } from './volumes.js';

/** Fields an ephemeral container may not set (upstream's allow list, inverted). */
const NOT_ALLOWED = ['ports', 'resources', 'resizePolicy', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'restartPolicy'];
const NOT_ALLOWED_MSG = 'cannot be set for an Ephemeral Container';

function isSet(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return v !== '';
}

export function validateEphemeralContainers(spec: Obj, field: string): FieldError[] {
  const list = asArray(spec.ephemeralContainers).map((c) => asRecord(c) ?? {});
  if (list.length === 0) return [];
  const errs: FieldError[] = [];
  const tgps = spec.terminationGracePeriodSeconds;
  const vols = validateVolumes(spec.volumes, child('spec', 'volumes'));
  const ctx: PodContext = { volumes: vols.names, gracePeriod: typeof tgps === 'number' ? tgps : undefined, restartPolicy: str(spec.restartPolicy) };
  const others = new Set([...asArray(spec.containers), ...asArray(spec.initContainers)].map((c) => str(asRecord(c)?.name)));
  const seen = new Set<string>();
  list.forEach((c, i) => {
    const p = index(field, i);
    const name = str(c.name);
    if (name && (others.has(name) || seen.has(name))) errs.push(duplicate(child(p, 'name'), name));
    else if (name) seen.add(name);
    const target = str(c.targetContainerName);
    if (target && !others.has(target)) errs.push(notFound(child(p, 'targetContainerName'), target));
    for (const k of NOT_ALLOWED) if (isSet(c[k])) errs.push(forbidden(child(p, k), NOT_ALLOWED_MSG));
    asArray(c.volumeMounts).forEach((m, j) => {
      if (str(asRecord(m)?.subPath)) errs.push(forbidden(child(index(child(p, 'volumeMounts'), j), 'subPath'), NOT_ALLOWED_MSG));
    });
    // Ports, probes and resources were reported above; the common checks would report them again.
    const common: Obj = { ...c };
    for (const k of NOT_ALLOWED) delete common[k];
    errs.push(...validateContainerCommon(common, ctx, p));
  });
  return errs;
}

/** An update through pods/ephemeralcontainers: the new list is valid and keeps every old entry unchanged. */
export function validatePodEphemeralContainersUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const spec = asRecord(obj.spec) ?? {};
  const errs = validateEphemeralContainers(spec, 'spec.ephemeralContainers');
  const byName = new Map(asArray(spec.ephemeralContainers).map((c) => [str(asRecord(c)?.name), c] as const));
  for (const raw of asArray(asRecord(old.spec)?.ephemeralContainers)) {
    const prev = asRecord(raw) ?? {};
    const name = str(prev.name);
    const next = byName.get(name);
    if (next === undefined) errs.push(forbidden('spec.ephemeralContainers', `existing ephemeral containers "${name}" may not be removed\n`));
    else if (!semanticEqual(prev, next)) errs.push(forbidden('spec.ephemeralContainers', `existing ephemeral containers "${name}" may not be changed\n`));
  }
  return errs;
}
