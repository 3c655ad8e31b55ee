// core/v1 SetDefaults_Service, plus the single-stack family fields the
// service registry fills in on create (this server runs one IPv4 family).

import { ensure, list, setIfEmpty, setIfUnset, unset, type Obj } from './util.js';

export function defaultService(obj: Obj): void {
  const spec = ensure(obj, 'spec');
  setIfEmpty(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = ensure(spec, 'sessionAffinityConfig');
    const cip = ensure(cfg, 'clientIP');
    setIfUnset(cip, 'timeoutSeconds', 10800);
  }
  setIfEmpty(spec, 'type', 'ClusterIP');
  for (const p of list(spec.ports)) {
    setIfEmpty(p, 'protocol', 'TCP');
    if (unset(p.targetPort) || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  const type = spec.type;
  const external = type === 'LoadBalancer' || type === 'NodePort' || (type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
  if (external) setIfEmpty(spec, 'externalTrafficPolicy', 'Cluster');
  if (unset(spec.internalTrafficPolicy) && (type === 'NodePort' || type === 'LoadBalancer' || type === 'ClusterIP')) {
    spec.internalTrafficPolicy = 'Cluster';
  }
  if (type === 'LoadBalancer') setIfUnset(spec, 'allocateLoadBalancerNodePorts', true);
  if (type !== 'ExternalName') {
    // An old client's singular clusterIP also fills the plural (upstream's NormalizeClusterIPs).
    if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && (unset(spec.clusterIPs) || (Array.isArray(spec.clusterIPs) && spec.clusterIPs.length === 0))) {
      spec.clusterIPs = [spec.clusterIP];
    }
    // Headless without a selector is dual-stack by default, even on a single-stack cluster (upstream's initIPFamilyFields).
    const selectorless = !spec.selector || Object.keys(spec.selector as object).length === 0;
    if (spec.clusterIP === 'None' && selectorless && unset(spec.ipFamilyPolicy)) {
      spec.ipFamilyPolicy = 'RequireDualStack';
      if (unset(spec.ipFamilies) || (Array.isArray(spec.ipFamilies) && spec.ipFamilies.length === 0)) spec.ipFamilies = ['IPv4', 'IPv6'];
    }
    setIfUnset(spec, 'ipFamilyPolicy', 'SingleStack');
    if (unset(spec.ipFamilies) || (Array.isArray(spec.ipFamilies) && spec.ipFamilies.length === 0)) spec.ipFamilies = ['IPv4'];
  }
}
