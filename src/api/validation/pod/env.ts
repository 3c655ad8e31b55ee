// Container env and envFrom.

import { child, index, invalid, notSupported, required, type FieldError } from '../field.js';
import { isConfigMapKey, isQualifiedName, isRelaxedEnvVarName } from '../names.js';
import { nameIsDNSSubdomain } from '../meta.js';
import { asArray, asRecord, str, type Obj } from '../util.js';

const ENV_FIELD_PATHS = [
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName',
  'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
].sort();

// What v1's downward-API field label conversion accepts at all.
const CONVERTIBLE = new Set([
  'metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName',
  'spec.restartPolicy', 'spec.serviceAccountName', 'spec.schedulerName', 'status.phase', 'status.hostIP', 'status.hostIPs',
  'status.podIP', 'status.podIPs',
]);

const RESOURCE_FIELD_PATHS = [
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
].sort();

function splitSubscript(p: string): [string, string] | undefined {
  const m = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/.exec(p);
  return m ? [m[1], m[2]] : undefined;
}

export function validateObjectFieldSelector(fs: Obj, allowed: string[], field: string): FieldError[] {
  if (!str(fs.apiVersion)) return [required(child(field, 'apiVersion'))];
  const fieldPath = str(fs.fieldPath);
  if (!fieldPath) return [required(child(field, 'fieldPath'))];
  const sub = splitSubscript(fieldPath);
  if (!sub && !CONVERTIBLE.has(fieldPath)) {
    return [invalid(child(field, 'fieldPath'), fieldPath, `error converting fieldPath: field label not supported: ${fieldPath}`)];
  }
  if (sub) {
    const k = sub[0] === 'metadata.annotations' ? sub[1].toLowerCase() : sub[1];
    return isQualifiedName(k).map((m) => invalid(field, k, m));
  }
  if (!allowed.includes(fieldPath)) return [notSupported(child(field, 'fieldPath'), fieldPath, allowed)];
  return [];
}

function validateKeySelector(s: Obj, field: string): FieldError[] {
  const errs = nameIsDNSSubdomain(str(s.name), false).map((m) => invalid(child(field, 'name'), str(s.name), m));
  const k = str(s.key);
  if (!k) errs.push(required(child(field, 'key')));
  else errs.push(...isConfigMapKey(k).map((m) => invalid(child(field, 'key'), k, m)));
  return errs;
}

function validateValueFrom(ev: Obj, field: string): FieldError[] {
  const vf = asRecord(ev.valueFrom);
  if (!vf) return [];
  const errs: FieldError[] = [];
  let sources = 0;
  const fieldRef = asRecord(vf.fieldRef);
  if (fieldRef) {
    sources++;
    errs.push(...validateObjectFieldSelector(fieldRef, ENV_FIELD_PATHS, child(field, 'fieldRef')));
  }
  const rf = asRecord(vf.resourceFieldRef);
  if (rf) {
    sources++;
    const p = child(field, 'resourceFieldRef');
    const res = str(rf.resource);
    if (!res) errs.push(required(child(p, 'resource')));
    else if (!RESOURCE_FIELD_PATHS.includes(res) && !/^(requests|limits)\.hugepages-/.test(res)) {
      errs.push(notSupported(child(p, 'resource'), res, RESOURCE_FIELD_PATHS));
    }
  }
  const cm = asRecord(vf.configMapKeyRef);
  if (cm) {
    sources++;
    errs.push(...validateKeySelector(cm, child(field, 'configMapKeyRef')));
  }
  const sec = asRecord(vf.secretKeyRef);
  if (sec) {
    sources++;
    errs.push(...validateKeySelector(sec, child(field, 'secretKeyRef')));
  }
  if (sources === 0) errs.push(invalid(field, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
  else if (str(ev.value)) errs.push(invalid(field, '', 'may not be specified when `value` is not empty'));
  else if (sources > 1) errs.push(invalid(field, '', 'may not have more than one field specified at a time'));
  return errs;
}

export function validateEnv(env: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  asArray(env).forEach((raw, i) => {
    const ev = asRecord(raw) ?? {};
    const p = index(field, i);
    const name = str(ev.name);
    if (!name) errs.push(required(child(p, 'name')));
    else errs.push(...isRelaxedEnvVarName(name).map((m) => invalid(child(p, 'name'), name, m)));
    errs.push(...validateValueFrom(ev, child(p, 'valueFrom')));
  });
  return errs;
}

function validateRefName(ref: Obj, field: string): FieldError[] {
  const name = str(ref.name);
  if (!name) return [required(child(field, 'name'))];
  return nameIsDNSSubdomain(name, true).map((m) => invalid(child(field, 'name'), name, m));
}

export function validateEnvFrom(envFrom: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  asArray(envFrom).forEach((raw, i) => {
    const ef = asRecord(raw) ?? {};
    const p = index(field, i);
    const prefix = str(ef.prefix);
    if (prefix) errs.push(...isRelaxedEnvVarName(prefix).map((m) => invalid(child(p, 'prefix'), prefix, m)));
    let sources = 0;
    const cm = asRecord(ef.configMapRef);
    if (cm) {
      sources++;
      errs.push(...validateRefName(cm, child(p, 'configMapRef')));
    }
    const sec = asRecord(ef.secretRef);
    if (sec) {
      sources++;
      errs.push(...validateRefName(sec, child(p, 'secretRef')));
    }
    if (sources === 0) errs.push(invalid(field, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (sources > 1) errs.push(invalid(field, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}
