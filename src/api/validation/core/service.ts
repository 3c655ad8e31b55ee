// core/v1 Service.

import type { KubeObject } from '../../types.js';
import { child, duplicate, forbidden, GoSyntax, goQuote, goStringSlice, index, invalid, notSupported, required, type FieldError } from '../field.js';
import { cidrFamily, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidIP, isValidPortNum, ipFamily } from '../names.js';
import { validateLabels } from '../selector.js';
import { validatePortNumOrName } from '../pod/probes.js';
import { asArray, asRecord, str, type Obj } from '../util.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

function clusterIPsOf(spec: Obj): string[] {
  const ips = asArray(spec.clusterIPs).map((s) => str(s));
  if (ips.length === 0 && str(spec.clusterIP)) return [str(spec.clusterIP)];
  return ips;
}

function isHeadless(spec: Obj): boolean {
  return clusterIPsOf(spec)[0] === 'None';
}

function externallyAccessible(spec: Obj): boolean {
  const t = str(spec.type);
  return t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && asArray(spec.externalIPs).length > 0);
}

function goServicePortKey(proto: string, port: number): GoSyntax {
  return new GoSyntax(
    `core.ServicePort{Name:"", Protocol:${goQuote(proto)}, AppProtocol:(*string)(nil), Port:${port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
  );
}

function validatePort(sp: Obj, requireName: boolean, names: Set<string>, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(sp.name);
  if (requireName && !name) errs.push(required(child(field, 'name')));
  else if (name) {
    errs.push(...isDNS1123Label(name).map((m) => invalid(child(field, 'name'), name, m)));
    if (names.has(name)) errs.push(duplicate(child(field, 'name'), name));
    else names.add(name);
  }
  const port = typeof sp.port === 'number' ? sp.port : 0;
  errs.push(...isValidPortNum(port).map((m) => invalid(child(field, 'port'), port, m)));
  const proto = str(sp.protocol);
  if (!proto) errs.push(required(child(field, 'protocol')));
  else if (!PROTOCOLS.includes(proto)) errs.push(notSupported(child(field, 'protocol'), proto, PROTOCOLS));
  errs.push(...validatePortNumOrName(sp.targetPort, child(field, 'targetPort')));
  if (typeof sp.appProtocol === 'string') errs.push(...isQualifiedName(sp.appProtocol).map((m) => invalid(child(field, 'appProtocol'), sp.appProtocol, m)));
  return errs;
}

function validateClusterIPs(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const ips = clusterIPsOf(spec);
  const type = str(spec.type);
  if (type === 'ExternalName') return errs;
  const policy = spec.ipFamilyPolicy;
  if (policy !== undefined && policy !== null && !['PreferDualStack', 'RequireDualStack', 'SingleStack'].includes(str(policy))) {
    errs.push(notSupported('spec.ipFamilyPolicy', str(policy), ['PreferDualStack', 'RequireDualStack', 'SingleStack']));
  }
  const fams = asArray(spec.ipFamilies).map((f) => str(f));
  const seenFam = new Set<string>();
  fams.forEach((f, i) => {
    if (f !== 'IPv4' && f !== 'IPv6') errs.push(notSupported(index('spec.ipFamilies', i), f, ['IPv4', 'IPv6']));
    if (seenFam.has(f)) errs.push(duplicate(index('spec.ipFamilies', i), f));
    seenFam.add(f);
  });
  if (fams.length > 2) errs.push(invalid('spec.ipFamilies', goStringSlice(fams), 'may specify no more than one IP for each IP family, i.e 192.168.0.1 and/or 2001:db8::1'));
  if (ips[0] === 'None') {
    if (ips.length > 1) errs.push(invalid('spec.clusterIPs', goStringSlice(ips), "must not have more than one value when `clusterIPs[0]` is 'None'"));
    return errs;
  }
  ips.forEach((ip, i) => {
    if (ip === '' || ip === 'None') {
      if (i > 0 || ip === 'None') errs.push(invalid(index('spec.clusterIPs', i), ip, 'must be a valid IP address'));
      return;
    }
    if (!ipFamily(ip)) errs.push(invalid(index('spec.clusterIPs', i), ip, "must be empty, 'None', or a valid IP address"));
  });
  if (ips.length > 2) errs.push(invalid('spec.clusterIPs', goStringSlice(ips), 'may specify no more than one IP for each IP family, i.e 192.168.0.1 and/or 2001:db8::1'));
  if (ips.length === 2 && ipFamily(ips[0]) && ipFamily(ips[0]) === ipFamily(ips[1])) {
    errs.push(invalid('spec.clusterIPs', goStringSlice(ips), 'may specify no more than one IP for each IP family, i.e 192.168.0.1 and/or 2001:db8::1'));
  }
  return errs;
}

function validateServiceSpec(obj: KubeObject): FieldError[] {
  const spec = asRecord(obj.spec) ?? {};
  const errs: FieldError[] = [];
  const type = str(spec.type);
  const ports = asArray(spec.ports).map((p) => asRecord(p) ?? {});
  const headless = isHeadless(spec);
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(required('spec.ports'));
  if (type === 'LoadBalancer' && headless) errs.push(invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for LoadBalancer services"));
  if (type === 'NodePort' && headless) errs.push(invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for NodePort services"));
  if (type === 'ExternalName') {
    if (clusterIPsOf(spec).length > 0) errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (asArray(spec.ipFamilies).length > 0) errs.push(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) errs.push(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    const cname = str(spec.externalName).replace(/\.$/, '');
    if (cname) errs.push(...isDNS1123Subdomain(cname).map((m) => invalid('spec.externalName', cname, m)));
    else errs.push(required('spec.externalName'));
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validatePort(p, ports.length > 1, names, index('spec.ports', i))));
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  const sa = str(spec.sessionAffinity);
  if (!sa) errs.push(required('spec.sessionAffinity'));
  else if (sa !== 'ClientIP' && sa !== 'None') errs.push(notSupported('spec.sessionAffinity', sa, ['ClientIP', 'None']));
  if (sa === 'ClientIP') {
    const cfg = asRecord(spec.sessionAffinityConfig);
    const cip = asRecord(cfg?.clientIP);
    if (!cfg) errs.push(required('spec.sessionAffinityConfig', 'when session affinity type is ClientIP'));
    else if (!cip) errs.push(required('spec.sessionAffinityConfig.clientIP', 'when session affinity type is ClientIP'));
    else if (typeof cip.timeoutSeconds !== 'number') errs.push(required('spec.sessionAffinityConfig.clientIP.timeoutSeconds', 'when session affinity type is ClientIP'));
    else if (cip.timeoutSeconds <= 0 || cip.timeoutSeconds > 86400) {
      errs.push(invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', cip.timeoutSeconds, 'must be greater than 0 and less than 86400'));
    }
  } else if (sa === 'None' && spec.sessionAffinityConfig) {
    errs.push(forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }
  errs.push(...validateClusterIPs(spec));
  asArray(spec.externalIPs).forEach((ip, i) => errs.push(...isValidIP(str(ip)).map((m) => invalid(index('spec.externalIPs', i), str(ip), m))));
  if (!type) errs.push(required('spec.type'));
  else if (!TYPES.includes(type)) errs.push(notSupported('spec.type', type, TYPES));
  if (type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (typeof p.nodePort === 'number' && p.nodePort !== 0) errs.push(forbidden(child(index('spec.ports', i), 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const np = typeof p.nodePort === 'number' ? p.nodePort : 0;
    if (np !== 0) {
      const k = `${str(p.protocol)}/${np}`;
      if (nodePorts.has(k)) errs.push(duplicate(child(index('spec.ports', i), 'nodePort'), np));
      nodePorts.add(k);
    }
    const port = typeof p.port === 'number' ? p.port : 0;
    const k = `${str(p.protocol)}/${port}`;
    if (seen.has(k)) errs.push(duplicate(index('spec.ports', i), goServicePortKey(str(p.protocol), port)));
    seen.add(k);
  });
  const ranges = asArray(spec.loadBalancerSourceRanges).map((r) => str(r));
  if (ranges.length) {
    if (type !== 'LoadBalancer') errs.push(forbidden('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => {
      const v = r.trim();
      if (!cidrFamily(v)) errs.push(invalid(index('spec.LoadBalancerSourceRanges', i), v, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
    });
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts !== null && type !== 'LoadBalancer') {
    errs.push(forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (type === 'LoadBalancer' && (spec.allocateLoadBalancerNodePorts === undefined || spec.allocateLoadBalancerNodePorts === null)) {
    errs.push(required('allocateLoadBalancerNodePorts'));
  }
  const etp = str(spec.externalTrafficPolicy);
  if (!externallyAccessible(spec)) {
    if (etp) errs.push(invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'));
  } else if (!etp) {
    errs.push(required('spec.externalTrafficPolicy'));
  } else if (etp !== 'Cluster' && etp !== 'Local') {
    errs.push(notSupported('spec.externalTrafficPolicy', etp, ['Cluster', 'Local']));
  }
  const itp = spec.internalTrafficPolicy;
  if ((itp === undefined || itp === null) && ['NodePort', 'LoadBalancer', 'ClusterIP'].includes(type)) errs.push(required('spec.internalTrafficPolicy'));
  if (typeof itp === 'string' && itp !== 'Cluster' && itp !== 'Local') errs.push(notSupported('spec.internalTrafficPolicy', itp, ['Cluster', 'Local']));
  return errs;
}

function validateClusterIPUpdate(spec: Obj, oldSpec: Obj): FieldError[] {
  if (str(spec.type) === 'ExternalName' || str(oldSpec.type) === 'ExternalName') return [];
  const ips = clusterIPsOf(spec);
  const oldIps = clusterIPsOf(oldSpec);
  // The registry carries the allocated addresses over when a client omits them.
  if (ips.length === 0) return [];
  if (isHeadless(spec) && isHeadless(oldSpec)) return [];
  if (oldIps.length > 0 && ips[0] !== oldIps[0]) return [invalid('spec.clusterIPs[0]', goStringSlice(ips), 'may not change once set')];
  if (oldIps.length === ips.length && oldIps.some((ip, i) => ip !== ips[i])) return [invalid('spec.clusterIPs[0]', goStringSlice(ips), 'may not change once set')];
  return [];
}

export function validateService(obj: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (old) errs.push(...validateClusterIPUpdate(asRecord(obj.spec) ?? {}, asRecord(old.spec) ?? {}));
  return errs.concat(validateServiceSpec(obj));
}
