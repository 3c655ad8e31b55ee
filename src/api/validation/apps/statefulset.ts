// apps/v1 StatefulSet.

import type { KubeObject } from '../../types.js';
import { child, forbidden, GoSyntax, invalid, notSupported, required, type FieldError } from '../field.js';
import { validatePodTemplateSpec } from '../pod/spec.js';
import { asArray, asRecord, clone, semanticEqual, str } from '../util.js';
import { goIntOrString, intOrPercentValue, nonNegative, notMoreThan100Percent, validatePositiveIntOrPercent, validateTemplateForSelector, validateWorkloadSelector } from './common.js';

const RETENTION = ['Retain', 'Delete'];

function validateSpec(spec: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const pmp = str(spec.podManagementPolicy);
  if (!pmp) errs.push(required('spec.podManagementPolicy'));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') errs.push(invalid('spec.podManagementPolicy', pmp, "must be 'OrderedReady' or 'Parallel'"));
  const us = asRecord(spec.updateStrategy) ?? {};
  const type = str(us.type);
  const ru = asRecord(us.rollingUpdate);
  if (!type) errs.push(required('spec.updateStrategy'));
  else if (type === 'OnDelete') {
    if (ru) errs.push(invalid('spec.updateStrategy.rollingUpdate', new GoSyntax('&apps.RollingUpdateStatefulSetStrategy{...}'), "only allowed for updateStrategy 'RollingUpdate'"));
  } else if (type === 'RollingUpdate') {
    if (ru) {
      errs.push(...nonNegative(ru.partition, 'spec.updateStrategy.rollingUpdate.partition'));
      // maxUnavailable as with upstream's MaxUnavailableStatefulSet gate on: positive, not 0, at most 100%.
      if (ru.maxUnavailable !== undefined && ru.maxUnavailable !== null) {
        const f = 'spec.updateStrategy.rollingUpdate.maxUnavailable';
        errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, f));
        if (intOrPercentValue(ru.maxUnavailable) === 0) errs.push(invalid(f, goIntOrString(ru.maxUnavailable), 'cannot be 0'));
        errs.push(...notMoreThan100Percent(ru.maxUnavailable, f));
      }
    }
  } else {
    errs.push(invalid('spec.updateStrategy', new GoSyntax(`apps.StatefulSetUpdateStrategy{Type:"${type}", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}`), "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const pol = asRecord(spec.persistentVolumeClaimRetentionPolicy);
  if (pol) {
    for (const k of ['whenDeleted', 'whenScaled']) {
      const v = str(pol[k]);
      if (!RETENTION.includes(v)) errs.push(notSupported(child('spec.persistentVolumeClaimRetentionPolicy', k), v, RETENTION));
    }
  }
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  const ordinals = asRecord(spec.ordinals);
  if (ordinals) errs.push(...nonNegative(ordinals.start, 'spec.ordinals.start'));
  const selector = validateWorkloadSelector(spec, 'spec', 'statefulset', errs);
  // Claim templates become volumes at pod creation, so mounts may name them.
  const template = clone(asRecord(spec.template) ?? {});
  const tspec = asRecord(template.spec) ?? {};
  const claims = asArray(spec.volumeClaimTemplates).map((c) => str(asRecord(asRecord(c)?.metadata)?.name));
  const known = new Set(asArray(tspec.volumes).map((v) => str(asRecord(v)?.name)));
  tspec.volumes = [...asArray(tspec.volumes), ...claims.filter((n) => n && !known.has(n)).map((name) => ({ name, persistentVolumeClaim: { claimName: name } }))];
  template.spec = tspec;
  if (selector) {
    errs.push(...validateTemplateForSelector(template, selector, 'spec.template', 'StatefulSet'));
  } else {
    errs.push(...validatePodTemplateSpec(template, 'spec.template'));
  }
  return errs.map((e) =>
    e.field === 'spec.template.spec.activeDeadlineSeconds' && e.type === 'FieldValueForbidden'
      ? forbidden(e.field, 'activeDeadlineSeconds in StatefulSet is not Supported')
      : e,
  );
}

export function validateStatefulSet(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = asRecord(obj.spec) ?? {};
  const errs = validateSpec(spec);
  if (old) {
    const oldSpec = asRecord(old.spec) ?? {};
    const a = { ...spec };
    const b = { ...oldSpec };
    for (const k of ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds']) {
      delete a[k];
      delete b[k];
    }
    if (!semanticEqual(a, b)) {
      errs.push(
        forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
    }
  }
  return errs;
}
