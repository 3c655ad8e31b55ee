// core/v1 Endpoints.

import type { KubeObject } from '../../types.js';
import { child, duplicate, index, invalid, notSupported, required, type FieldError } from '../field.js';
import { ipFamily, isDNS1123Label, isValidIP, isValidPortNum } from '../names.js';
import { asArray, asRecord, str } from '../util.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/** Addresses users may not point a service at (ValidateNonSpecialIP / ValidateEndpointIP). */
export function specialIPError(ip: string): string {
  if (ipFamily(ip) === 4) {
    const [a, b] = ip.split('.').map(Number);
    if (ip === '0.0.0.0') return 'may not be unspecified (0.0.0.0)';
    if (a === 127) return 'may not be in the loopback range (127.0.0.0/8, ::1/128)';
    if (a === 169 && b === 254) return 'may not be in the link-local range (169.254.0.0/16, fe80::/10)';
    if (a >= 224 && a <= 239) return 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)';
  } else {
    const l = ip.toLowerCase();
    if (l === '::') return 'may not be unspecified (::)';
    if (l === '::1') return 'may not be in the loopback range (127.0.0.0/8, ::1/128)';
    if (/^fe[89ab]/.test(l)) return 'may not be in the link-local range (169.254.0.0/16, fe80::/10)';
    if (l.startsWith('ff02:')) return 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)';
  }
  return '';
}

export function validatePortList(ports: unknown, field: string, requireName: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  asArray(ports).forEach((raw, i) => {
    const p = asRecord(raw) ?? {};
    const path = index(field, i);
    const name = str(p.name);
    if (requireName && !name) errs.push(required(child(path, 'name')));
    else if (name) {
      errs.push(...isDNS1123Label(name).map((m) => invalid(child(path, 'name'), name, m)));
      if (names.has(name)) errs.push(duplicate(child(path, 'name'), name));
      names.add(name);
    }
    const port = typeof p.port === 'number' ? p.port : 0;
    errs.push(...isValidPortNum(port).map((m) => invalid(child(path, 'port'), port, m)));
    const proto = str(p.protocol);
    if (!proto) errs.push(required(child(path, 'protocol')));
    else if (!PROTOCOLS.includes(proto)) errs.push(notSupported(child(path, 'protocol'), proto, PROTOCOLS));
  });
  return errs;
}

export function validateEndpoints(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  asArray(obj.subsets).forEach((raw, i) => {
    const ss = asRecord(raw) ?? {};
    const p = index('subsets', i);
    const addrs = asArray(ss.addresses);
    const notReady = asArray(ss.notReadyAddresses);
    if (addrs.length === 0 && notReady.length === 0) {
      errs.push(required(p, 'must specify `addresses` or `notReadyAddresses`'));
    }
    for (const [k, list] of [['addresses', addrs], ['notReadyAddresses', notReady]] as const) {
      list.forEach((a, j) => {
        const ip = str(asRecord(a)?.ip);
        const ap = child(index(child(p, k), j), 'ip');
        const bad = isValidIP(ip);
        if (bad.length) errs.push(...bad.map((m) => invalid(ap, ip, m)));
        else if (specialIPError(ip)) errs.push(invalid(ap, ip, specialIPError(ip)));
        const hostname = str(asRecord(a)?.hostname);
        if (hostname) errs.push(...isDNS1123Label(hostname).map((m) => invalid(child(index(child(p, k), j), 'hostname'), hostname, m)));
      });
    }
    errs.push(...validatePortList(ss.ports, child(p, 'ports'), asArray(ss.ports).length > 1));
  });
  return errs;
}
