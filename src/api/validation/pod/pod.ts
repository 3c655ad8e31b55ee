// Pod create and update. Updates may only touch the few mutable spec fields;
// anything else yields upstream's "pod updates may not change fields" error.

import type { KubeObject } from '../../types.js';
import { child, forbidden, index, invalid, required, type FieldError } from '../field.js';
import { inclusiveRangeError } from '../names.js';
import { asArray, asRecord, clone, semanticEqual, str, type Obj } from '../util.js';
import { validateImageWhitespace, validatePodSpec, validateTolerations } from './spec.js';

const MAX_INT32 = 2147483647;

const UPDATABLE = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

export function validatePodSpecForPod(obj: KubeObject): FieldError[] {
  const spec = asRecord(obj.spec) ?? {};
  const errs = validatePodSpec(spec, 'spec', { isPod: true });
  if (!str(spec.serviceAccountName)) {
    asArray(spec.volumes).forEach((v, vi) => {
      asArray(asRecord(asRecord(v)?.projected)?.sources).forEach((s, si) => {
        if (asRecord(s)?.serviceAccountToken) {
          errs.push(
            forbidden(
              child(index(child(index('spec.volumes', vi), 'projected', 'sources'), si), 'serviceAccountToken'),
              'must not be specified when serviceAccountName is not set',
            ),
          );
        }
      });
    });
  }
  errs.push(...validateImageWhitespace(spec.containers, 'spec.containers'));
  errs.push(...validateImageWhitespace(spec.initContainers, 'spec.initContainers'));
  return errs;
}

function containerUpdates(newList: unknown, oldList: unknown, field: string): { errs: FieldError[]; stop: boolean } {
  const n = asArray(newList);
  if (n.length !== asArray(oldList).length) return { errs: [forbidden(field, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  n.forEach((c, i) => {
    const image = str(asRecord(c)?.image);
    if (!image) errs.push(required(child(index(field, i), 'image')));
    if (image.trim() !== image) errs.push(invalid(child(index(field, i), 'image'), image, 'must not have leading or trailing whitespace'));
  });
  return { errs, stop: false };
}

function onlyAddedTolerations(newT: unknown, oldT: unknown, field: string): FieldError[] {
  const news = asArray(newT).map((t) => asRecord(t) ?? {});
  for (const old of asArray(oldT).map((t) => asRecord(t) ?? {})) {
    const found = news.some((n) => semanticEqual({ ...old, tolerationSeconds: n.tolerationSeconds }, n));
    if (!found) return [forbidden(field, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(newT, field);
}

function render(v: unknown): string {
  return v === undefined ? 'nil' : JSON.stringify(v);
}

// Stands in for go-cmp's diff: one -/+ pair per changed top-level field.
function specDiff(oldSpec: Obj, newSpec: Obj): string {
  const lines = ['  core.PodSpec{'];
  const keys = [...new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)])];
  for (const k of keys) {
    if (semanticEqual(oldSpec[k], newSpec[k])) continue;
    const name = k.charAt(0).toUpperCase() + k.slice(1);
    lines.push(`- \t${name}: ${render(oldSpec[k])},`);
    lines.push(`+ \t${name}: ${render(newSpec[k])},`);
  }
  lines.push('  }');
  return lines.join('\n') + '\n';
}

export function validatePodUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  // A status write carries the stored spec itself (the status strategy shares it): nothing in it changed, and
  // upstream's ValidatePodStatusUpdate checks no spec either, so a pod stored under older rules keeps reporting.
  if (obj.spec === old.spec) return [];
  const spec = asRecord(obj.spec) ?? {};
  const oldSpec = asRecord(old.spec) ?? {};
  const errs = validatePodSpecForPod(obj);
  for (const k of ['containers', 'initContainers']) {
    const r = containerUpdates(spec[k], oldSpec[k], child('spec', k));
    errs.push(...r.errs);
    if (r.stop) return errs;
  }
  const ads = spec.activeDeadlineSeconds;
  const oldAds = oldSpec.activeDeadlineSeconds;
  if (typeof ads === 'number') {
    if (ads < 0 || ads > MAX_INT32) {
      errs.push(invalid('spec.activeDeadlineSeconds', ads, inclusiveRangeError(0, MAX_INT32)));
      return errs;
    }
    if (typeof oldAds === 'number' && oldAds < ads) {
      errs.push(invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (typeof oldAds === 'number') {
    errs.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...onlyAddedTolerations(spec.tolerations, oldSpec.tolerations, 'spec.tolerations'));
  const oldGates = new Set(asArray(oldSpec.schedulingGates).map((g) => str(asRecord(g)?.name)));
  asArray(spec.schedulingGates).forEach((g, i) => {
    const name = str(asRecord(g)?.name);
    if (!oldGates.has(name)) {
      errs.push(forbidden(child(index('spec.schedulingGates', i), 'name'), `only deletion is allowed, but found new scheduling gate '${name}'`));
    }
  });
  if (semanticEqual(spec, oldSpec)) return errs;
  const munged = clone(spec);
  for (const k of ['containers', 'initContainers']) {
    const olds = asArray(oldSpec[k]);
    munged[k] = asArray(munged[k]).map((c, i) => ({ ...(asRecord(c) ?? {}), image: asRecord(olds[i])?.image }));
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.schedulingGates = oldSpec.schedulingGates;
  munged.tolerations = oldSpec.tolerations;
  const oldTgps = oldSpec.terminationGracePeriodSeconds;
  if (typeof oldTgps === 'number' && oldTgps < 0 && munged.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = oldTgps;
  if (asArray(oldSpec.schedulingGates).length > 0) {
    // Gated pods may still gain node constraints; upstream validates the mutation in detail, we accept it.
    munged.nodeSelector = oldSpec.nodeSelector;
    munged.affinity = oldSpec.affinity;
  }
  if (!semanticEqual(munged, oldSpec)) {
    errs.push(forbidden('spec', `pod updates may not change fields other than ${UPDATABLE.join(',')}\n${specDiff(oldSpec, munged)}`));
  }
  return errs;
}
