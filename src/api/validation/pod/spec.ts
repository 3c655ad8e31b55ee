// PodSpec and PodTemplateSpec validation.

import { child, forbidden, GoSyntax, goStringSlice, index, invalid, notSupported, required, type FieldError } from '../field.js';
import { inclusiveRangeError, isDNS1123Label, isQualifiedName, isValidIP, isValidLabelValue, isDNS1123Subdomain } from '../names.js';
import { nameIsDNSSubdomain, validateAnnotations } from '../meta.js';
import { validateLabelName, validateLabelSelector, validateLabels } from '../selector.js';
import { asArray, asRecord, str, type Obj } from '../util.js';
import { validateContainers, validateImageWhitespace, validateInitContainers, type PodContext } from './container.js';
import { validateVolumes } from './volumes.js';

const MAX_INT32 = 2147483647;
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateTolerations(list: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  asArray(list).forEach((raw, i) => {
    const t = asRecord(raw) ?? {};
    const p = index(field, i);
    const k = str(t.key);
    const op = str(t.operator);
    const effect = str(t.effect);
    if (k) errs.push(...validateLabelName(k, child(p, 'key')));
    if (!k && op !== 'Exists') {
      errs.push(invalid(child(p, 'operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && effect !== 'NoExecute') {
      errs.push(invalid(child(p, 'effect'), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (op === 'Equal' || op === '') {
      const msgs = isValidLabelValue(str(t.value));
      if (msgs.length) errs.push(invalid(child(p, 'operator'), str(t.value), msgs.join(';')));
    } else if (op === 'Exists') {
      if (str(t.value)) errs.push(invalid(child(p, 'operator'), str(t.value), "value must be empty when `operator` is 'Exists'"));
    } else {
      errs.push(notSupported(child(p, 'operator'), op, ['Equal', 'Exists']));
    }
    if (effect && !TAINT_EFFECTS.includes(effect)) errs.push(notSupported(child(p, 'effect'), effect, TAINT_EFFECTS));
  });
  return errs;
}

function validateDNSConfig(cfg: Obj | undefined, dnsPolicy: string, field: string): FieldError[] {
  if (dnsPolicy === 'None') {
    if (!cfg) return [required(field, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (asArray(cfg.nameservers).length === 0) return [required(child(field, 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  if (!cfg) return [];
  const errs: FieldError[] = [];
  const ns = asArray(cfg.nameservers).map((s) => str(s));
  if (ns.length > 3) errs.push(invalid(child(field, 'nameservers'), goStringSlice(ns), 'must not have more than 3 nameservers'));
  ns.forEach((s, i) => errs.push(...isValidIP(s).map((m) => invalid(index(child(field, 'nameservers'), i), s, m))));
  const searches = asArray(cfg.searches).map((s) => str(s));
  if (searches.length > 32) errs.push(invalid(child(field, 'searches'), goStringSlice(searches), 'must not have more than 32 search paths'));
  if (searches.join(' ').length > 2048) {
    errs.push(invalid(child(field, 'searches'), goStringSlice(searches), 'must not have more than 2048 characters (including spaces) in the search list'));
  }
  searches.forEach((s, i) => {
    if (s === '.') return;
    const trimmed = s.endsWith('.') ? s.slice(0, -1) : s;
    const re = /^_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*$/;
    if (!re.test(trimmed) || trimmed.length > 253) {
      const msgs = isDNS1123Subdomain(trimmed);
      errs.push(...(msgs.length ? msgs : ['invalid']).map((m) => invalid(index(child(field, 'searches'), i), trimmed, m)));
    }
  });
  asArray(cfg.options).forEach((o, i) => {
    if (!str(asRecord(o)?.name)) errs.push(required(index(child(field, 'options'), i), 'must not be empty'));
  });
  return errs;
}

function validateTopologySpread(list: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  asArray(list).forEach((raw, i) => {
    const c = asRecord(raw) ?? {};
    const p = index(field, i);
    const skew = typeof c.maxSkew === 'number' ? c.maxSkew : 0;
    if (skew <= 0) errs.push(invalid(child(p, 'maxSkew'), skew, 'must be greater than zero'));
    if (!str(c.topologyKey)) errs.push(required(child(p, 'topologyKey'), 'can not be empty'));
    else errs.push(...validateLabelName(str(c.topologyKey), child(p, 'topologyKey')));
    const w = str(c.whenUnsatisfiable);
    if (!['DoNotSchedule', 'ScheduleAnyway'].includes(w)) errs.push(notSupported(child(p, 'whenUnsatisfiable'), w, ['DoNotSchedule', 'ScheduleAnyway']));
    errs.push(...validateLabelSelector(c.labelSelector, child(p, 'labelSelector')));
  });
  return errs;
}

function validateNodeSelectorTerms(ns: Obj, field: string): FieldError[] {
  const terms = asArray(ns.nodeSelectorTerms);
  const termsPath = child(field, 'nodeSelectorTerms');
  if (terms.length === 0) return [required(termsPath, 'must have at least one node selector term')];
  const errs: FieldError[] = [];
  terms.forEach((raw, i) => {
    asArray(asRecord(raw)?.matchExpressions).forEach((er, j) => {
      const e = asRecord(er) ?? {};
      const p = index(child(index(termsPath, i), 'matchExpressions'), j);
      const values = asArray(e.values).map((v) => str(v));
      const op = str(e.operator);
      if (op === 'In' || op === 'NotIn') {
        if (!values.length) errs.push(required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      } else if (op === 'Exists' || op === 'DoesNotExist') {
        if (values.length) errs.push(forbidden(child(p, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      } else if (op === 'Gt' || op === 'Lt') {
        if (values.length !== 1) errs.push(required(child(p, 'values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      } else {
        errs.push(invalid(child(p, 'operator'), op, 'not a valid selector operator'));
      }
      errs.push(...validateLabelName(str(e.key), child(p, 'key')));
      values.forEach((v, k) => errs.push(...isValidLabelValue(v).map((m) => invalid(index(child(p, 'values'), k), v, m))));
    });
  });
  return errs;
}

export interface PodSpecOptions {
  /** The spec belongs to a Pod (stricter than templates). */
  isPod: boolean;
}

export function validatePodSpec(spec: Obj, field: string, opts: PodSpecOptions): FieldError[] {
  const errs: FieldError[] = [];
  const tgps = spec.terminationGracePeriodSeconds;
  if (tgps === undefined || tgps === null) errs.push(required(child(field, 'terminationGracePeriodSeconds')));
  const vols = validateVolumes(spec.volumes, child(field, 'volumes'));
  errs.push(...vols.errs);
  const restartPolicy = str(spec.restartPolicy);
  const ctx: PodContext = { volumes: vols.names, gracePeriod: typeof tgps === 'number' ? tgps : undefined, restartPolicy };
  errs.push(...validateContainers(spec.containers, ctx, child(field, 'containers')));
  errs.push(...validateInitContainers(spec.initContainers, spec.containers, ctx, child(field, 'initContainers')));
  if (spec.hostNetwork === true) {
    asArray(spec.containers).forEach((c, i) => {
      asArray(asRecord(c)?.ports).forEach((raw, j) => {
        const port = asRecord(raw) ?? {};
        const hp = typeof port.hostPort === 'number' ? port.hostPort : 0;
        const cp = typeof port.containerPort === 'number' ? port.containerPort : 0;
        if ((opts.isPod || hp !== 0) && hp !== cp) {
          errs.push(invalid(child(index(child(index(child(field, 'containers'), i), 'ports'), j), 'hostPort'), hp, 'must match `containerPort` when `hostNetwork` is true'));
        }
      });
    });
  }
  if (!restartPolicy) errs.push(required(child(field, 'restartPolicy')));
  else if (!RESTART_POLICIES.includes(restartPolicy)) errs.push(notSupported(child(field, 'restartPolicy'), restartPolicy, RESTART_POLICIES));
  const dnsPolicy = str(spec.dnsPolicy);
  if (!dnsPolicy) errs.push(required(child(field, 'dnsPolicy')));
  else if (!DNS_POLICIES.includes(dnsPolicy)) errs.push(notSupported(child(field, 'dnsPolicy'), dnsPolicy, DNS_POLICIES));
  errs.push(...validateLabels(spec.nodeSelector, child(field, 'nodeSelector')));
  asArray(spec.imagePullSecrets).forEach((raw, i) => {
    const r = asRecord(raw) ?? {};
    if (Object.keys(r).some((k) => k !== 'name')) errs.push(invalid(index(child(field, 'imagePullSecrets'), i), new GoSyntax(JSON.stringify(r)), 'only name may be set'));
  });
  const na = asRecord(asRecord(spec.affinity)?.nodeAffinity);
  const req = asRecord(na?.requiredDuringSchedulingIgnoredDuringExecution);
  if (req) errs.push(...validateNodeSelectorTerms(req, child(field, 'affinity', 'nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution')));
  errs.push(...validateDNSConfig(asRecord(spec.dnsConfig), dnsPolicy, child(field, 'dnsConfig')));
  asArray(spec.readinessGates).forEach((g, i) => {
    const ct = str(asRecord(g)?.conditionType);
    errs.push(...isQualifiedName(ct).map((m) => invalid(child(index(child(field, 'readinessGates'), i), 'conditionType'), ct, m)));
  });
  errs.push(...validateTopologySpread(spec.topologySpreadConstraints, child(field, 'topologySpreadConstraints')));
  const sa = str(spec.serviceAccountName);
  if (sa) errs.push(...nameIsDNSSubdomain(sa, false).map((m) => invalid(child(field, 'serviceAccountName'), sa, m)));
  const nodeName = str(spec.nodeName);
  if (nodeName) errs.push(...nameIsDNSSubdomain(nodeName, false).map((m) => invalid(child(field, 'nodeName'), nodeName, m)));
  const ads = spec.activeDeadlineSeconds;
  if (typeof ads === 'number' && (ads < 1 || ads > MAX_INT32)) {
    errs.push(invalid(child(field, 'activeDeadlineSeconds'), ads, inclusiveRangeError(1, MAX_INT32)));
  }
  for (const k of ['hostname', 'subdomain']) {
    const v = str(spec[k]);
    if (v) errs.push(...isDNS1123Label(v).map((m) => invalid(child(field, k), v, m)));
  }
  errs.push(...validateTolerations(spec.tolerations, child(field, 'tolerations')));
  asArray(spec.hostAliases).forEach((raw, i) => {
    const a = asRecord(raw) ?? {};
    const p = index(child(field, 'hostAliases'), i);
    errs.push(...isValidIP(str(a.ip)).map((m) => invalid(child(p, 'ip'), str(a.ip), m)));
    asArray(a.hostnames).forEach((h, j) => errs.push(...isDNS1123Subdomain(str(h)).map((m) => invalid(index(child(p, 'hostnames'), j), str(h), m))));
  });
  const pcn = str(spec.priorityClassName);
  if (pcn) errs.push(...nameIsDNSSubdomain(pcn, false).map((m) => invalid(child(field, 'priorityClassName'), pcn, m)));
  if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null) {
    const pp = str(spec.preemptionPolicy);
    if (!pp) errs.push(required(child(field, 'preemptionPolicy')));
    else if (pp !== 'PreemptLowerPriority' && pp !== 'Never') errs.push(notSupported(child(field, 'preemptionPolicy'), pp, ['PreemptLowerPriority', 'Never']));
  }
  const os = asRecord(spec.os);
  if (os && !['linux', 'windows'].includes(str(os.name))) {
    errs.push(notSupported(child(field, 'os', 'name'), str(os.name), ['linux', 'windows']));
  }
  return errs;
}

/** Checks shared by pods and the templates inside workloads. */
export function validatePodTemplateSpec(template: unknown, field: string): FieldError[] {
  const t = asRecord(template) ?? {};
  const meta = asRecord(t.metadata) ?? {};
  const spec = asRecord(t.spec) ?? {};
  const errs: FieldError[] = [];
  errs.push(...validateLabels(meta.labels, child(field, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(field, 'annotations')));
  errs.push(...validatePodSpec(spec, child(field, 'spec'), { isPod: false }));
  if (asArray(spec.ephemeralContainers).length > 0) {
    errs.push(forbidden(child(field, 'spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}

export { validateImageWhitespace };
