// core/v1 Node: taints, podCIDRs and the spec fields a node may not rewrite.

import type { KubeObject } from '../../types.js';
import { child, duplicate, forbidden, GoSyntax, goQuote, goStringSlice, index, invalid, notSupported, required, type FieldError } from '../field.js';
import { cidrFamily, isValidLabelValue } from '../names.js';
import { validateLabelName } from '../selector.js';
import { quantityAt, validateResourceQuantityValue } from '../pod/resources.js';
import { asArray, asRecord, str } from '../util.js';

const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function validateTaints(taints: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Map<string, Set<string>>();
  asArray(taints).forEach((raw, i) => {
    const t = asRecord(raw) ?? {};
    const p = index(field, i);
    const k = str(t.key);
    const effect = str(t.effect);
    errs.push(...validateLabelName(k, child(p, 'key')));
    const msgs = isValidLabelValue(str(t.value));
    if (msgs.length) errs.push(invalid(child(p, 'value'), str(t.value), msgs.join(';')));
    if (!effect) errs.push(required(child(p, 'effect')));
    else if (!EFFECTS.includes(effect)) errs.push(notSupported(child(p, 'effect'), effect, EFFECTS));
    const keys = seen.get(effect) ?? new Set<string>();
    if (keys.has(k)) {
      const shown = new GoSyntax(`core.Taint{Key:${goQuote(k)}, Value:${goQuote(str(t.value))}, Effect:${goQuote(effect)}, TimeAdded:<nil>}`);
      errs.push({ ...duplicate(p, shown), detail: `${duplicate(p, shown).detail}: taints must be unique by key and effect pair` });
      return;
    }
    keys.add(k);
    seen.set(effect, keys);
  });
  return errs;
}

function validateResources(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const status = asRecord(obj.status) ?? {};
  for (const part of ['capacity', 'allocatable']) {
    for (const [name, raw] of Object.entries(asRecord(status[part]) ?? {})) {
      const p = child('status', part, name);
      const q = quantityAt(raw, p, errs);
      if (q) errs.push(...validateResourceQuantityValue(name, q, p));
    }
  }
  return errs;
}

export function validateNode(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = asRecord(obj.spec) ?? {};
  // Upstream reports node taints under metadata (a historical path).
  const errs = validateTaints(spec.taints, 'metadata.taints');
  errs.push(...validateResources(obj));
  const cidrs = asArray(spec.podCIDRs).map((c) => str(c));
  cidrs.forEach((c, i) => {
    if (!cidrFamily(c)) errs.push(invalid(index('spec.podCIDRs', i), c, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
  });
  if (cidrs.length > 1) {
    const fams = cidrs.map(cidrFamily);
    if (cidrs.length > 2 || fams[0] === fams[1]) errs.push(invalid('spec.podCIDRs', goStringSlice(cidrs), 'may specify no more than one CIDR for each IP family'));
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(duplicate(index('spec.podCIDRs', i), c));
      seen.add(c);
    });
  }
  if (old) {
    const oldSpec = asRecord(old.spec) ?? {};
    const oldCidrs = asArray(oldSpec.podCIDRs).map((c) => str(c));
    if (oldCidrs.length > 0 && (oldCidrs.length !== cidrs.length || oldCidrs.some((c, i) => c !== cidrs[i]))) {
      errs.push(forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
    }
    if (str(oldSpec.providerID) && str(oldSpec.providerID) !== str(spec.providerID)) {
      errs.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
    }
    if (str(oldSpec.externalID) !== str(spec.externalID)) errs.push(forbidden('spec.externalID', 'may not be updated'));
  }
  return errs;
}
