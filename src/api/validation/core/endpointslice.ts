// discovery.k8s.io/v1 EndpointSlice.

import type { KubeObject } from '../../types.js';
import { child, index, invalid, notSupported, required, tooMany, type FieldError } from '../field.js';
import { ipFamily, isDNS1123Subdomain } from '../names.js';
import { validateLabels } from '../selector.js';
import { asArray, asRecord, str } from '../util.js';
import { validatePortList } from './endpoints.js';

const TYPES = ['IPv4', 'IPv6', 'FQDN'];

export function validateEndpointSlice(obj: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const at = str(obj.addressType);
  if (!at) errs.push(required('addressType'));
  else if (!TYPES.includes(at)) errs.push(notSupported('addressType', at, TYPES));
  const eps = asArray(obj.endpoints);
  if (eps.length > 1000) errs.push(tooMany('endpoints', eps.length, 1000));
  eps.forEach((raw, i) => {
    const ep = asRecord(raw) ?? {};
    const p = index('endpoints', i);
    const addrs = asArray(ep.addresses).map((a) => str(a));
    if (addrs.length === 0) errs.push(required(child(p, 'addresses'), 'must contain at least 1 address'));
    else if (addrs.length > 100) errs.push(tooMany(child(p, 'addresses'), addrs.length, 100));
    addrs.forEach((a, j) => {
      const ap = index(child(p, 'addresses'), j);
      if (at === 'IPv4' && ipFamily(a) !== 4) errs.push(invalid(ap, a, 'must be a valid IPv4 address'));
      if (at === 'IPv6' && ipFamily(a) !== 6) errs.push(invalid(ap, a, 'must be a valid IPv6 address'));
      if (at === 'FQDN') errs.push(...isDNS1123Subdomain(a).map((m) => invalid(ap, a, m)));
    });
    const nodeName = str(ep.nodeName);
    if (nodeName) errs.push(...isDNS1123Subdomain(nodeName).map((m) => invalid(child(p, 'nodeName'), nodeName, m)));
    errs.push(...validateLabels(ep.deprecatedTopology, child(p, 'deprecatedTopology')));
  });
  const ports = asArray(obj.ports).map((raw) => {
    const r = asRecord(raw) ?? {};
    return { ...r, name: str(r.name), port: typeof r.port === 'number' ? r.port : 1 };
  });
  errs.push(...validatePortList(ports, 'ports', false));
  if (old && str(old.addressType) !== at) errs.push(invalid('addressType', at, 'field is immutable'));
  return errs;
}
