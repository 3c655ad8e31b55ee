// ObjectMeta rules shared by every kind (apimachinery's ValidateObjectMeta
// plus core's finalizer-name check), and the name rule each kind uses.

import type { ResourceInfo } from '../scheme/resources.js';
import type { ObjectMeta } from '../types.js';
import { child, forbidden, GoSyntax, goQuote, goStringSlice, index, invalid, required, tooLong, type FieldError } from './field.js';
import { byteLength, isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from './names.js';
import { validateLabels } from './selector.js';
import { asArray, asRecord, str } from './util.js';

export type NameFn = (name: string, prefix: boolean) => string[];

// Upstream's mask replaces the last two characters (a long-standing quirk kept for identical results).
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? name.slice(0, -2) + 'a' : name;
}

export const nameIsDNSSubdomain: NameFn = (n, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(n) : n);
export const nameIsDNSLabel: NameFn = (n, prefix) => isDNS1123Label(prefix ? maskTrailingDash(n) : n);
export const nameIsDNS1035Label: NameFn = (n, prefix) => isDNS1035Label(prefix ? maskTrailingDash(n) : n);

/** path.ValidatePathSegmentName: the only rule every URL name must pass. */
export function validatePathSegmentName(name: string, prefix = false): string[] {
  if (!prefix) {
    if (name === '.' || name === '..') return [`may not be '${name}'`];
  }
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

export function nameFnFor(info: ResourceInfo): NameFn {
  if (info.group === '' && info.resource === 'namespaces') return nameIsDNSLabel;
  if (info.group === '' && info.resource === 'services') return nameIsDNS1035Label;
  // RBAC objects are named like system:controller:foo; upstream only forbids path segments there.
  if (info.group === 'rbac.authorization.k8s.io') return validatePathSegmentName;
  return nameIsDNSSubdomain;
}

export function validateName(info: ResourceInfo, name: string): string[] {
  return nameFnFor(info)(name, false);
}

const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);
const TOTAL_ANNOTATION_SIZE = 256 * 1024;

export function validateAnnotations(annotations: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(asRecord(annotations) ?? {})) {
    errs.push(...isQualifiedName(k.toLowerCase()).map((m) => invalid(field, k, m)));
    size += byteLength(k) + byteLength(str(v));
  }
  if (size > TOTAL_ANNOTATION_SIZE) errs.push(tooLong(field, TOTAL_ANNOTATION_SIZE));
  return errs;
}

function goBoolPtr(v: unknown): string {
  return typeof v === 'boolean' ? `(*bool)(${v})` : '(*bool)(nil)';
}

function goOwnerRef(r: Record<string, unknown>): string {
  return (
    `v1.OwnerReference{APIVersion:${goQuote(str(r.apiVersion))}, Kind:${goQuote(str(r.kind))}, Name:${goQuote(str(r.name))}, ` +
    `UID:${goQuote(str(r.uid))}, Controller:${goBoolPtr(r.controller)}, BlockOwnerDeletion:${goBoolPtr(r.blockOwnerDeletion)}}`
  );
}

export function validateOwnerReferences(refs: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  const list = asArray(refs).map((r) => asRecord(r) ?? {});
  for (const ref of list) {
    const apiVersion = str(ref.apiVersion);
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    const kind = str(ref.kind);
    if (!version) errs.push(invalid(child(field, 'apiVersion'), apiVersion, 'version must not be empty'));
    if (!kind) errs.push(invalid(child(field, 'kind'), kind, 'kind must not be empty'));
    if (!str(ref.name)) errs.push(invalid(child(field, 'name'), str(ref.name), 'name must not be empty'));
    if (!str(ref.uid)) errs.push(invalid(child(field, 'uid'), str(ref.uid), 'uid must not be empty'));
    if (group === '' && version === 'v1' && kind === 'Event') {
      errs.push(invalid(field, new GoSyntax(goOwnerRef(ref)), '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (ref.controller === true) {
      const name = `${kind}/${str(ref.name)}`;
      if (firstController) {
        errs.push(
          invalid(
            field,
            new GoSyntax(`[]v1.OwnerReference{${list.map(goOwnerRef).join(', ')}}`),
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${name}`,
          ),
        );
      } else {
        firstController = name;
      }
    }
  }
  return errs;
}

export function validateFinalizers(finalizers: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = asArray(finalizers).map((f) => str(f));
  // apimachinery reports name problems on the list itself; core then repeats them per index.
  for (const f of list) errs.push(...isQualifiedName(f).map((m) => invalid(field, f, m)));
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    errs.push(invalid(field, goStringSlice(list), 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  list.forEach((f, i) => {
    const p = index(field, i);
    errs.push(...isQualifiedName(f).map((m) => invalid(p, f, m)));
    if (!f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
      errs.push(invalid(p, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  return errs;
}

function validateMetaCommon(meta: ObjectMeta, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof meta.generation === 'number' && meta.generation < 0) {
    errs.push(invalid(child(field, 'generation'), meta.generation, 'must be greater than or equal to 0'));
  }
  errs.push(...validateLabels(meta.labels, child(field, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(field, 'annotations')));
  errs.push(...validateOwnerReferences(meta.ownerReferences, child(field, 'ownerReferences')));
  return errs;
}

function validateMetaCreate(info: ResourceInfo, meta: ObjectMeta, nameFn: NameFn, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const generateName = str(meta.generateName);
  if (generateName) errs.push(...nameFn(generateName, true).map((m) => invalid(child(field, 'generateName'), generateName, m)));
  const name = str(meta.name);
  if (!name) errs.push(required(child(field, 'name'), 'name or generateName is required'));
  else errs.push(...nameFn(name, false).map((m) => invalid(child(field, 'name'), name, m)));
  const ns = str(meta.namespace);
  if (info.namespaced) {
    if (!ns) errs.push(required(child(field, 'namespace')));
    else errs.push(...nameIsDNSLabel(ns, false).map((m) => invalid(child(field, 'namespace'), ns, m)));
  } else if (ns) {
    errs.push(forbidden(child(field, 'namespace'), 'not allowed on this type'));
  }
  errs.push(...validateMetaCommon(meta, field));
  errs.push(...validateFinalizers(meta.finalizers, child(field, 'finalizers')));
  return errs;
}

function immutable(newVal: string, oldVal: string, field: string): FieldError[] {
  return newVal === oldVal ? [] : [invalid(field, newVal, 'field is immutable')];
}

// Fields the registry carries over before validating (rest.BeforeUpdate) are
// compared only when the client actually sent them.
function validateMetaUpdate(meta: ObjectMeta, old: ObjectMeta, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (old.deletionTimestamp) {
    const before = new Set(asArray(old.finalizers).map((f) => str(f)));
    const extra = [...new Set(asArray(meta.finalizers).map((f) => str(f)))].filter((f) => !before.has(f)).sort();
    if (extra.length) {
      errs.push(forbidden(child(field, 'finalizers'), `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(extra).text}`));
    }
  }
  if (typeof meta.generation === 'number' && typeof old.generation === 'number' && meta.generation < old.generation) {
    errs.push(invalid(child(field, 'generation'), meta.generation, 'must not be decremented'));
  }
  errs.push(...immutable(str(meta.name), str(old.name), child(field, 'name')));
  errs.push(...immutable(str(meta.namespace), str(old.namespace), child(field, 'namespace')));
  if (meta.uid) errs.push(...immutable(str(meta.uid), str(old.uid), child(field, 'uid')));
  errs.push(...validateMetaCommon(meta, field));
  errs.push(...validateFinalizers(meta.finalizers, child(field, 'finalizers')).filter((e) => e.field !== child(field, 'finalizers')));
  return errs;
}

/** ObjectMeta validation for create (old undefined) or update. */
export function validateObjectMeta(info: ResourceInfo, meta: ObjectMeta, old?: ObjectMeta, field = 'metadata'): FieldError[] {
  return old ? validateMetaUpdate(meta, old, field) : validateMetaCreate(info, meta, nameFnFor(info), field);
}

/** Create-time meta check with a kind-specific name rule. */
export function validateObjectMetaWith(info: ResourceInfo, meta: ObjectMeta, nameFn: NameFn, field = 'metadata'): FieldError[] {
  return validateMetaCreate(info, meta, nameFn, field);
}
