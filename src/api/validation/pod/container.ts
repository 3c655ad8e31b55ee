// Containers: the checks common to regular and init containers, and the
// per-list rules (unique names, host port conflicts, init-only policies).

import { child, duplicate, forbidden, index, invalid, notFound, notSupported, required, type FieldError } from '../field.js';
import { isDNS1123Label, isValidPortName, isValidPortNum } from '../names.js';
import { asArray, asRecord, str, type Obj } from '../util.js';
import { validateEnv, validateEnvFrom } from './env.js';
import { validateLifecycle, validateProbe } from './probes.js';
import { validateContainerResources } from './resources.js';
import { validateLocalDescendingPath, validatePathNoBacksteps } from './volumes.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];

export interface PodContext {
  volumes: Map<string, Obj>;
  gracePeriod: number | undefined;
  restartPolicy: string;
}

function validatePorts(ports: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  asArray(ports).forEach((raw, i) => {
    const port = asRecord(raw) ?? {};
    const p = index(field, i);
    const name = str(port.name);
    if (name) {
      const msgs = isValidPortName(name);
      if (msgs.length) errs.push(...msgs.map((m) => invalid(child(p, 'name'), name, m)));
      else if (names.has(name)) errs.push(duplicate(child(p, 'name'), name));
      else names.add(name);
    }
    const cp = typeof port.containerPort === 'number' ? port.containerPort : 0;
    if (cp === 0) errs.push(required(child(p, 'containerPort')));
    else errs.push(...isValidPortNum(cp).map((m) => invalid(child(p, 'containerPort'), cp, m)));
    const hp = typeof port.hostPort === 'number' ? port.hostPort : 0;
    if (hp !== 0) errs.push(...isValidPortNum(hp).map((m) => invalid(child(p, 'hostPort'), hp, m)));
    const proto = str(port.protocol);
    if (!proto) errs.push(required(child(p, 'protocol')));
    else if (!PROTOCOLS.includes(proto)) errs.push(notSupported(child(p, 'protocol'), proto, PROTOCOLS));
  });
  return errs;
}

function validateVolumeMounts(mounts: unknown, devices: Map<string, string>, ctx: PodContext, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const points = new Set<string>();
  asArray(mounts).forEach((raw, i) => {
    const m = asRecord(raw) ?? {};
    const p = index(field, i);
    const name = str(m.name);
    const mountPath = str(m.mountPath);
    if (!name) errs.push(required(child(p, 'name')));
    if (!ctx.volumes.has(name)) errs.push(notFound(child(p, 'name'), name));
    if (!mountPath) errs.push(required(child(p, 'mountPath')));
    if (points.has(mountPath)) errs.push(invalid(child(p, 'mountPath'), mountPath, 'must be unique'));
    points.add(mountPath);
    if (devices.has(name)) errs.push(invalid(child(p, 'name'), name, 'must not already exist in volumeDevices'));
    if ([...devices.values()].includes(mountPath)) {
      errs.push(invalid(child(p, 'mountPath'), mountPath, 'must not already exist as a path in volumeDevices'));
    }
    const subPath = str(m.subPath);
    const subPathExpr = str(m.subPathExpr);
    // Upstream reports these two on the list path, not the item's.
    if (subPath) errs.push(...validateLocalDescendingPath(subPath, child(field, 'subPath')));
    if (subPathExpr) {
      if (subPath) errs.push(invalid(child(p, 'subPathExpr'), subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateLocalDescendingPath(subPathExpr, child(field, 'subPathExpr')));
    }
    const prop = m.mountPropagation;
    if (prop !== undefined && prop !== null && !['None', 'HostToContainer', 'Bidirectional'].includes(str(prop))) {
      errs.push(notSupported(child(field, 'mountPropagation'), str(prop), ['Bidirectional', 'HostToContainer', 'None']));
    }
  });
  return errs;
}

function validateVolumeDevices(devs: unknown, mounts: Map<string, string>, ctx: PodContext, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  const names = new Set<string>();
  asArray(devs).forEach((raw, i) => {
    const d = asRecord(raw) ?? {};
    const p = index(field, i);
    const name = str(d.name);
    const devPath = str(d.devicePath);
    const vol = ctx.volumes.get(name);
    if (!name) errs.push(required(child(p, 'name')));
    if (names.has(name)) errs.push(invalid(child(p, 'name'), name, 'must be unique'));
    if (vol && !vol.persistentVolumeClaim && !vol.ephemeral) {
      errs.push(invalid(child(p, 'name'), name, 'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode'));
    }
    if (!vol) errs.push(notFound(child(p, 'name'), name));
    if (!devPath) errs.push(required(child(p, 'devicePath')));
    if (paths.has(devPath)) errs.push(invalid(child(p, 'devicePath'), devPath, 'must be unique'));
    if (devPath && validatePathNoBacksteps(devPath, '').length) errs.push(invalid(child(p, 'devicePath'), devPath, "can not contain backsteps ('..')"));
    else paths.add(devPath);
    if (mounts.has(name)) errs.push(invalid(child(p, 'name'), name, 'must not already exist in volumeMounts'));
    if ([...mounts.values()].includes(devPath)) errs.push(invalid(child(p, 'devicePath'), devPath, 'must not already exist as a path in volumeMounts'));
    if (name) names.add(name);
  });
  return errs;
}

function pathMap(list: unknown, pathKey: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const raw of asArray(list)) {
    const r = asRecord(raw) ?? {};
    m.set(str(r.name), str(r[pathKey]));
  }
  return m;
}

export function validateContainerCommon(c: Obj, ctx: PodContext, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c.name);
  if (!name) errs.push(required(child(field, 'name')));
  else errs.push(...isDNS1123Label(name).map((m) => invalid(child(field, 'name'), name, m)));
  if (!str(c.image)) errs.push(required(child(field, 'image')));
  const tmp = str(c.terminationMessagePolicy);
  if (!tmp) errs.push(required(child(field, 'terminationMessagePolicy')));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') {
    errs.push(notSupported(child(field, 'terminationMessagePolicy'), tmp, ['File', 'FallbackToLogsOnError']));
  }
  const mounts = pathMap(c.volumeMounts, 'mountPath');
  const devices = pathMap(c.volumeDevices, 'devicePath');
  errs.push(...validatePorts(c.ports, child(field, 'ports')));
  errs.push(...validateEnv(c.env, child(field, 'env')));
  errs.push(...validateEnvFrom(c.envFrom, child(field, 'envFrom')));
  errs.push(...validateVolumeMounts(c.volumeMounts, devices, ctx, child(field, 'volumeMounts')));
  errs.push(...validateVolumeDevices(c.volumeDevices, mounts, ctx, child(field, 'volumeDevices')));
  const pull = str(c.imagePullPolicy);
  if (!pull) errs.push(required(child(field, 'imagePullPolicy')));
  else if (!PULL_POLICIES.includes(pull)) errs.push(notSupported(child(field, 'imagePullPolicy'), pull, PULL_POLICIES));
  errs.push(...validateContainerResources(c.resources, child(field, 'resources')));
  return errs;
}

function hostPortConflicts(containers: Obj[], field: string, seen = new Set<string>()): FieldError[] {
  const errs: FieldError[] = [];
  containers.forEach((c, ci) => {
    asArray(c.ports).forEach((raw, pi) => {
      const port = asRecord(raw) ?? {};
      const hp = typeof port.hostPort === 'number' ? port.hostPort : 0;
      if (hp === 0) return;
      const k = `${str(port.protocol)}/${str(port.hostIP)}/${hp}`;
      if (seen.has(k)) errs.push(duplicate(child(index(child(index(field, ci), 'ports'), pi), 'hostPort'), k));
      else seen.add(k);
    });
  });
  return errs;
}

export function validateContainers(list: unknown, ctx: PodContext, field: string): FieldError[] {
  const containers = asArray(list).map((c) => asRecord(c) ?? {});
  if (containers.length === 0) return [required(field)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const p = index(field, i);
    errs.push(...validateContainerCommon(c, ctx, p));
    const name = str(c.name);
    if (names.has(name)) errs.push(duplicate(child(p, 'name'), name));
    else names.add(name);
    errs.push(...validateLifecycle(c.lifecycle, ctx.gracePeriod, child(p, 'lifecycle')));
    errs.push(...validateProbe(c.livenessProbe, 'livenessProbe', ctx.gracePeriod, child(p, 'livenessProbe')));
    errs.push(...validateProbe(c.readinessProbe, 'readinessProbe', ctx.gracePeriod, child(p, 'readinessProbe')));
    errs.push(...validateProbe(c.startupProbe, 'startupProbe', ctx.gracePeriod, child(p, 'startupProbe')));
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
      errs.push(forbidden(child(p, 'restartPolicy'), 'may not be set for non-init containers'));
    }
  });
  return errs.concat(hostPortConflicts(containers, field));
}

export function validateInitContainers(list: unknown, regular: unknown, ctx: PodContext, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set(asArray(regular).map((c) => str(asRecord(c)?.name)));
  asArray(list).forEach((raw, i) => {
    const c = asRecord(raw) ?? {};
    const p = index(field, i);
    errs.push(...validateContainerCommon(c, ctx, p));
    let restartAlways = false;
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
      if (c.restartPolicy !== 'Always') errs.push(notSupported(child(p, 'restartPolicy'), str(c.restartPolicy), ['Always']));
      restartAlways = c.restartPolicy === 'Always';
    }
    const name = str(c.name);
    if (names.has(name)) errs.push(duplicate(child(p, 'name'), name));
    else if (name) names.add(name);
    errs.push(...hostPortConflicts([c], field));
    if (restartAlways) {
      errs.push(...validateLifecycle(c.lifecycle, ctx.gracePeriod, child(p, 'lifecycle')));
      errs.push(...validateProbe(c.livenessProbe, 'livenessProbe', ctx.gracePeriod, child(p, 'livenessProbe')));
      errs.push(...validateProbe(c.readinessProbe, 'readinessProbe', ctx.gracePeriod, child(p, 'readinessProbe')));
      errs.push(...validateProbe(c.startupProbe, 'startupProbe', ctx.gracePeriod, child(p, 'startupProbe')));
    } else {
      for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (c[k] !== undefined && c[k] !== null) errs.push(forbidden(child(p, k), 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  });
  return errs;
}

/** Pod-only (not template) container check. */
export function validateImageWhitespace(list: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  asArray(list).forEach((raw, i) => {
    const image = str(asRecord(raw)?.image);
    if (image.trim() !== image) errs.push(invalid(child(index(field, i), 'image'), image, 'must not have leading or trailing whitespace'));
  });
  return errs;
}
