// A pod's resolver settings by its dnsPolicy, as upstream's
// pkg/kubelet/network/dns: ClusterFirst points at the cluster DNS with the
// namespace's search path and ndots:5; Default copies the node's
// resolv.conf; None starts empty; spec.dnsConfig is merged on top; and the
// result is cut to the resolver's limits (3 nameservers, 32 search paths of
// at most 253 characters, 2048 characters in all), with a warning event.

import type { PodSandboxConfig } from '../../runtime/interface.js';
import { readResolvConf, type ResolvConf } from '../../util/resolv-conf.js';

export interface DnsSettings {
  /** Upstream --cluster-dns. */
  clusterDNS: string[];
  /** Upstream --cluster-domain. */
  clusterDomain: string;
  /** Upstream --resolv-conf; '' means none (pods get 127.0.0.1 and search "."). */
  resolvConf: string;
  nodeIPs: string[];
}

type DnsConfig = NonNullable<PodSandboxConfig['dnsConfig']>;

interface PodLike {
  metadata: { namespace?: string; name?: string; uid?: string };
  spec: { dnsPolicy?: string; hostNetwork?: boolean; dnsConfig?: { nameservers?: string[]; searches?: string[]; options?: { name: string; value?: string }[] } };
}

export const MAX_NAMESERVERS = 3;
export const MAX_SEARCH_PATHS = 32;
export const MAX_SEARCH_CHARS = 2048;
const MAX_DOMAIN_LENGTH = 253;

export type DnsWarn = (reason: 'DNSConfigForming' | 'MissingClusterDNS', message: string) => void;

const uniq = (xs: string[]): string[] => [...new Set(xs)];

function mergeOptions(existing: string[], extra: { name: string; value?: string }[]): string[] {
  const m = new Map<string, string>();
  for (const op of existing) {
    const i = op.indexOf(':');
    if (i >= 0) m.set(op.slice(0, i), op.slice(i + 1));
    else m.set(op, '');
  }
  for (const op of extra) m.set(op.name, op.value ?? '');
  return [...m].map(([k, v]) => (v ? `${k}:${v}` : k));
}

function fitSearch(searches: string[], warn: DnsWarn): string[] {
  let exceeded = false;
  let s = searches;
  if (s.length > MAX_SEARCH_PATHS) {
    s = s.slice(0, MAX_SEARCH_PATHS);
    exceeded = true;
  }
  // glibc aborts on a search path over 255 characters, so such paths are dropped.
  const kept = s.filter((d) => d.length <= MAX_DOMAIN_LENGTH);
  if (kept.length !== s.length) exceeded = true;
  s = kept;
  const total = s.join(' ').length;
  if (total > MAX_SEARCH_CHARS) {
    let cut = 0;
    let cutLen = 0;
    for (let i = s.length - 1; i >= 0; i--) {
      cutLen += s[i]!.length + 1;
      cut++;
      if (total - cutLen <= MAX_SEARCH_CHARS) break;
    }
    s = s.slice(0, s.length - cut);
    exceeded = true;
  }
  if (exceeded) warn('DNSConfigForming', `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${s.join(' ')}`);
  return s;
}

/** The pod's DNS type: none, cluster or host (upstream's getPodDNSType). */
function dnsType(pod: PodLike): 'none' | 'cluster' | 'host' {
  switch (pod.spec.dnsPolicy ?? 'ClusterFirst') {
    case 'None':
      return 'none';
    case 'ClusterFirstWithHostNet':
      return 'cluster';
    case 'ClusterFirst':
      return pod.spec.hostNetwork ? 'host' : 'cluster';
    default:
      return 'host';
  }
}

export function podDnsConfig(pod: PodLike, s: DnsSettings, warn: DnsWarn, host: ResolvConf = s.resolvConf ? readResolvConf(s.resolvConf) : { nameservers: [], searches: [], options: [] }): DnsConfig {
  let cfg: DnsConfig = { servers: [...host.nameservers], searches: [...host.searches], options: [...host.options] };
  let type = dnsType(pod);
  if (type === 'cluster') {
    if (s.clusterDNS.length) {
      const clusterSearch = s.clusterDomain ? [`${ns(pod)}.svc.${s.clusterDomain}`, `svc.${s.clusterDomain}`, s.clusterDomain] : [];
      cfg = { servers: [...s.clusterDNS], searches: uniq([...clusterSearch, ...cfg.searches]), options: ['ndots:5'] };
    } else {
      warn('MissingClusterDNS', `pod: "${pod.metadata.name}_${ns(pod)}(${pod.metadata.uid ?? ''})". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.`);
      type = 'host';
    }
  }
  if (type === 'host' && !s.resolvConf) {
    cfg = { servers: s.nodeIPs.some((ip) => !ip.includes(':')) || !s.nodeIPs.length ? ['127.0.0.1'] : ['::1'], searches: ['.'], options: [] };
  }
  if (type === 'none') cfg = { servers: [], searches: [], options: [] };
  const extra = pod.spec.dnsConfig;
  if (extra) {
    cfg = {
      servers: uniq([...cfg.servers, ...(extra.nameservers ?? [])]),
      searches: uniq([...cfg.searches, ...(extra.searches ?? [])]),
      options: mergeOptions(cfg.options, extra.options ?? []),
    };
  }
  if (cfg.servers.length > MAX_NAMESERVERS) {
    cfg.servers = cfg.servers.slice(0, MAX_NAMESERVERS);
    warn('DNSConfigForming', `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${cfg.servers.join(' ')}`);
  }
  cfg.searches = fitSearch(cfg.searches, warn);
  return cfg;
}

function ns(pod: PodLike): string {
  return pod.metadata.namespace ?? 'default';
}
