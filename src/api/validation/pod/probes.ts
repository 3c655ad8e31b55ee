// Probes and lifecycle handlers.

import { child, forbidden, invalid, notSupported, required, type FieldError } from '../field.js';
import { isHTTPHeaderName, isValidPortName, isValidPortNum } from '../names.js';
import { asArray, asRecord, str, type Obj } from '../util.js';

/** ValidatePortNumOrName for an IntOrString port. */
export function validatePortNumOrName(port: unknown, field: string): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(field, port, m));
  if (typeof port === 'string') return isValidPortName(port).map((m) => invalid(field, port, m));
  return isValidPortNum(0).map((m) => invalid(field, 0, m));
}

function validateHTTPGet(h: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!str(h.path)) errs.push(required(child(field, 'path')));
  errs.push(...validatePortNumOrName(h.port, child(field, 'port')));
  const scheme = str(h.scheme);
  if (scheme !== 'HTTP' && scheme !== 'HTTPS') errs.push(notSupported(child(field, 'scheme'), scheme, ['HTTP', 'HTTPS']));
  for (const raw of asArray(h.httpHeaders)) {
    const name = str(asRecord(raw)?.name);
    errs.push(...isHTTPHeaderName(name).map((m) => invalid(child(field, 'httpHeaders'), name, m)));
  }
  return errs;
}

const HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'] as const;

function validateHandler(h: Obj, allowed: readonly string[], gracePeriod: number | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const k of HANDLERS) {
    if (!allowed.includes(k)) continue;
    const a = asRecord(h[k]);
    if (!a) continue;
    const p = child(field, k);
    if (n > 0) {
      errs.push(forbidden(p, 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    if (k === 'exec' && asArray(a.command).length === 0) errs.push(required(child(p, 'command')));
    if (k === 'httpGet') errs.push(...validateHTTPGet(a, p));
    if (k === 'tcpSocket') errs.push(...validatePortNumOrName(a.port, child(p, 'port')));
    if (k === 'grpc') errs.push(...validatePortNumOrName(typeof a.port === 'number' ? a.port : 0, child(p, 'port')));
    if (k === 'sleep' && gracePeriod !== undefined) {
      const s = typeof a.seconds === 'number' ? a.seconds : 0;
      if (s <= 0 || s > gracePeriod) {
        errs.push(
          invalid(p, s, `must be greater than 0 and less than terminationGracePeriodSeconds (${gracePeriod}). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.`),
        );
      }
    }
  }
  if (n === 0) errs.push(required(field, 'must specify a handler type'));
  return errs;
}

function nonNegative(v: unknown, field: string): FieldError[] {
  return typeof v === 'number' && v < 0 ? [invalid(field, v, 'must be greater than or equal to 0')] : [];
}

export type ProbeKind = 'livenessProbe' | 'readinessProbe' | 'startupProbe';

export function validateProbe(probe: unknown, kind: ProbeKind, gracePeriod: number | undefined, field: string): FieldError[] {
  const p = asRecord(probe);
  if (!p) return [];
  const errs = validateHandler(p, ['exec', 'httpGet', 'tcpSocket', 'grpc'], gracePeriod, field);
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...nonNegative(p[k], child(field, k)));
  }
  const tgps = p.terminationGracePeriodSeconds;
  if (typeof tgps === 'number' && tgps <= 0) errs.push(invalid(child(field, 'terminationGracePeriodSeconds'), tgps, 'must be greater than 0'));
  if (kind !== 'readinessProbe' && (p.successThreshold ?? 0) !== 1) {
    errs.push(invalid(child(field, 'successThreshold'), p.successThreshold ?? 0, 'must be 1'));
  }
  if (kind === 'readinessProbe' && tgps !== undefined && tgps !== null) {
    errs.push(invalid(child(field, 'terminationGracePeriodSeconds'), tgps, 'must not be set for readinessProbes'));
  }
  return errs;
}

export function validateLifecycle(lc: unknown, gracePeriod: number | undefined, field: string): FieldError[] {
  const l = asRecord(lc);
  if (!l) return [];
  const errs: FieldError[] = [];
  for (const hook of ['postStart', 'preStop']) {
    const h = asRecord(l[hook]);
    if (h) errs.push(...validateHandler(h, ['exec', 'httpGet', 'tcpSocket', 'sleep'], gracePeriod, child(field, hook)));
  }
  return errs;
}
