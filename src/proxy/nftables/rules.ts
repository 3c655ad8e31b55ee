import type { Endpoint, IPFamily, ServicePort } from '../types.js';
import { externallyAccessible } from '../types.js';
import { categorize } from '../state.js';
import { portProtoHash } from '../names.js';
import { TABLE } from './table.js';

// nftables rules in the layout of upstream's nftables proxier (pkg/proxy/nftables):
// one table per IP family (`ip kube-proxy`, `ip6 kube-proxy`, rendered from the
// same code with the family's words); the `services` chain dispatches through the
// verdict maps `service-ips` (ip . protocol . port) and `service-nodeports`
// (protocol . port) to per-service chains; `no-endpoint-services` and
// `no-endpoint-nodeports` reject (or drop) from the filter hooks;
// `mark-for-masquerade` sets the mark that `masquerading` turns into SNAT;
// `firewall-ips` sends LoadBalancer IPs with loadBalancerSourceRanges to a
// per-service `firewall-` chain from filter-prerouting, before DNAT.
//
// Four departures, each measured on this kernel (6.18, nft 1.0.6; see
// docs/benchmarks.md): (1) no per-endpoint chains: every `nft` run that adds a
// rule first dumps every chain of the host, and that dump costs quadratic
// kernel time in the number of chains (0.65 s of system time per run at
// 60,000 chains, 10 ms at 10,000), so a service chain DNATs itself and
// hairpin traffic (a pod reaching itself through its service: upstream's
// `ip saddr <endpoint>` rule in each endpoint chain) is found in
// `masquerading` as a DNATed connection whose source is its (new)
// destination. nft cannot compare two fields of a packet, so the rule puts
// `daddr . daddr` in the dynamic set `endpoint-hairpin` and looks up
// `saddr . daddr` there: found exactly when saddr == daddr. The set is filled
// by traffic, not by us (a full sync wrote an element per endpoint before,
// a quarter of nft's work), and its elements time out;
// (2) load balancing is a `numgen random mod N` cascade of rules (each takes
// 1/(N-i) of what reaches it, like iptables' statistic rules) instead of an
// anonymous vmap per service, because the kernel allocates anonymous set
// names by scanning every set of the table (quadratic: 5.9 s of system time
// at 4,000 services against 0.7 s for the cascade); (3) ClusterIP traffic from
// outside the pod network is marked for masquerade by one rule in `services`
// matching the set `masquerade-services`, not by a rule in every service chain
// (nft's parsing of rules is most of a full sync's floor); (4) a service's
// own (ClusterIP) traffic is balanced without a chain of its own: its
// `service-ips` element goes to a shared `lb-` chain of services with N
// endpoints, which DNATs through `backends-` maps keyed by the packet's own
// destination, so a service is map elements only and an endpoint change
// writes no rule (the lb chain also masquerades, instead of a
// masquerade-services element). The protocol and the endpoints' port are the
// chain's. Up to LB_SPLIT_MAX endpoints, the chain is also the service port's
// (`lb-5-tcp-80-8080`: 5 endpoints, tcp, port 80, target port 8080) and has a
// map per index (`backends-5-tcp-80-8080-0` ... `-4`, each ClusterIP →
// endpoint address) chosen by a `numgen random mod N-i` cascade: an element of
// one address and one address costs nft about 60% of one with a concatenated
// key. Above it, one map per chain (`lb-20-tcp-8080`, key ClusterIP . port .
// index), as one map per index would make as many maps as endpoints; and the
// same when the proxier's budget of maps (NftOptions.lbSplit) is spent, as
// the kernel's cost of adding named sets grows with the square of their
// number (1,000 maps take 10 ms, 4,000 take 0.6 s).
// Elements cost nft a fraction of what rules do (a full sync is
// mostly nft's work on them), the kernel validates the jump graph only when a
// transaction adds a rule or a jump, and every `nft` run dumps every chain.
// Traffic that reaches a service through another address (NodePort, external
// and load balancer IPs) and ClientIP affinity still use per-service chains.

export { TABLE };
/** nft's family of the table for each IP family: dual-stack is two tables, as upstream's two proxiers. */
export type NftFamily = 'ip' | 'ip6';
export const FAMILIES: Record<IPFamily, NftFamily> = { IPv4: 'ip', IPv6: 'ip6' };

export const SERVICE_IPS = 'service-ips';
export const SERVICE_NODEPORTS = 'service-nodeports';
export const NO_ENDPOINT_SERVICES = 'no-endpoint-services';
export const NO_ENDPOINT_NODEPORTS = 'no-endpoint-nodeports';
export const FIREWALL_IPS = 'firewall-ips';
/** A set (elements without a verdict), kept with the maps: the ClusterIP . protocol . port of services whose outside traffic is masqueraded. */
export const MASQUERADE_SERVICES = 'masquerade-services';
export const HAIRPIN = 'endpoint-hairpin';
/**
 * How long a destination stays in endpoint-hairpin after its last new connection. An element is needed only by the
 * lookup that follows its update in the same rule; the timeout keeps the set (at most 65,535 elements: an update on a
 * full set fails, and the rule with it) to the endpoints this node opened connections to in the last seconds.
 */
const HAIRPIN_TIMEOUT = '10s';
/** The most endpoints a ClusterIP service is balanced over with a map per index (see departure 4 above). */
export const LB_SPLIT_MAX = 8;
/** The number of backends- maps of an lb chain with a map per index (its n), 0 for one with a single map (every full re-sync asks, for each service). */
export const splitMaps = (id: string): number => splitCache.get(id)?.maps.length ?? 0;
export const MAPS = [SERVICE_IPS, SERVICE_NODEPORTS, NO_ENDPOINT_SERVICES, NO_ENDPOINT_NODEPORTS, FIREWALL_IPS, MASQUERADE_SERVICES] as const;
/** A map element, or a set element when the verdict is empty. */
const element = (k: string, v: string): string => (v ? `${k} : ${v}` : k);
export type MapName = (typeof MAPS)[number];

export interface NftOptions {
  /** Which table: `ip kube-proxy` (the default) or `ip6 kube-proxy`. */
  family?: NftFamily;
  masqueradeAll: boolean;
  clusterCIDR?: string;
  /** Local addresses NodePorts answer on; empty: every local address except loopback. */
  nodePortIPs: string[];
  masqueradeMark: string;
  /**
   * Whether the lb chain with this id (n endpoints) may have a map per index: true for ids it said yes to before,
   * for new ones while the number of such maps is within budget. Without it: always.
   */
  lbSplit?: (id: string, n: number) => boolean;
}

/** One service's share of the table. */
export interface ServiceNft {
  /** Chains owned by the service: name → rule bodies. */
  chains: Map<string, string[]>;
  /** ClientIP-affinity sets owned by the service (one per endpoint of a sticky balancing chain). */
  affinity: Set<string>;
  /** Elements of the shared verdict maps: key → verdict. */
  elements: Record<MapName, Map<string, string>>;
  /** Elements of the `backends-` maps, by the map's name after "backends-": key (ClusterIP, or "ClusterIP . port . index") → endpoint address. */
  backends: Map<string, Map<string, string>>;
  /** The lb chains (ids after "lb-") the service's elements go to: declared before its elements where new. */
  lbs: Set<string>;
  endpointCount: number;
  /** Its lines of a full sync, made once: a full re-sync of unchanged services only joins them. */
  text?: { chains: string; elements: Array<[MapName, string]>; backends: Array<[string, string]> };
}

/** The words that differ between the two families' rules. */
interface Dialect {
  /** "ip kube-proxy" or "ip6 kube-proxy", as nft commands name the table. */
  t: string;
  ip: 'ip' | 'ip6';
  addr: 'ipv4_addr' | 'ipv6_addr';
  /** An endpoint as a DNAT target: an IPv6 address is bracketed before its port. */
  target: (ep: Endpoint) => string;
  noLocalhost: string;
}
const DIALECTS: Record<NftFamily, Dialect> = {
  ip: { t: `ip ${TABLE}`, ip: 'ip', addr: 'ipv4_addr', target: (ep) => `${ep.ip}:${ep.port}`, noLocalhost: 'ip daddr != 127.0.0.0/8' },
  ip6: { t: `ip6 ${TABLE}`, ip: 'ip6', addr: 'ipv6_addr', target: (ep) => `[${ep.ip}]:${ep.port}`, noLocalhost: 'ip6 daddr != ::1' },
};
const dialect = (o: { family?: NftFamily }): Dialect => DIALECTS[o.family ?? 'ip'];

/** upstream's chain suffix: an 8-character hash, then "ns/name/protocol/port" to read. */
const base = (sp: ServicePort, proto: string): string => `${portProtoHash(sp.name, proto).slice(0, 8)}-${sp.service}/${proto}/${sp.portName}`;
export const serviceChain = (sp: ServicePort, proto: string): string => `service-${base(sp, proto)}`;
export const localChain = (sp: ServicePort, proto: string): string => `local-${base(sp, proto)}`;
export const externalChain = (sp: ServicePort, proto: string): string => `external-${base(sp, proto)}`;
export const firewallChain = (sp: ServicePort, proto: string): string => `firewall-${base(sp, proto)}`;
/** Which shared chain and map balance a service's own traffic (departure 4 above): n endpoints, the protocol, the endpoints' port. */
export const lbChain = (id: string): string => `lb-${id}`;
export const backendsMap = (id: string): string => `backends-${id}`;
/** upstream's affinity set name: the chain's suffix, then "__ip/port" of the endpoint (an IPv6 address's colons as dots: names may not hold colons). */
const affinitySet = (chain: string, ep: Endpoint): string => `affinity-${chain.slice(chain.indexOf('-') + 1)}__${ep.ip.replace(/:/g, '.')}/${ep.port}`;

/** Chains and sets kube-proxy always has. */
const FIXED_CHAINS = new Set(['services', 'mark-for-masquerade', 'masquerading', 'nat-prerouting', 'nat-output', 'nat-postrouting', 'filter-prerouting', 'filter-input', 'filter-forward', 'filter-output', 'service-endpoints-check', 'nodeport-endpoints-check', 'firewall-check', 'reject-chain']);
export const isServiceChain = (c: string): boolean => !FIXED_CHAINS.has(c);

function emptyService(): ServiceNft {
  return {
    chains: new Map(),
    affinity: new Set(),
    elements: { [SERVICE_IPS]: new Map(), [SERVICE_NODEPORTS]: new Map(), [NO_ENDPOINT_SERVICES]: new Map(), [NO_ENDPOINT_NODEPORTS]: new Map(), [FIREWALL_IPS]: new Map(), [MASQUERADE_SERVICES]: new Map() },
    backends: new Map(),
    lbs: new Set(),
    endpointCount: 0,
  };
}

export function renderService(ports: Array<{ sp: ServicePort; endpoints: Endpoint[] }>, o: NftOptions): ServiceNft {
  const r = emptyService();
  for (const { sp, endpoints } of ports) renderPort(r, sp, endpoints, o);
  return r;
}

export function isEmpty(r: ServiceNft): boolean {
  return r.chains.size === 0 && r.backends.size === 0 && MAPS.every((m) => r.elements[m].size === 0);
}

function renderPort(r: ServiceNft, sp: ServicePort, endpoints: Endpoint[], o: NftOptions): void {
  const d = dialect(o);
  const proto = sp.protocol.toLowerCase();
  const { cluster, local, hasAny } = categorize(sp, endpoints);
  r.endpointCount += endpoints.length;
  // Chain names (hashed) only for the services that have chains: most go through lb-N and have none.
  let names: { cluster: string; local: string; external: string } | undefined;
  const c = (): NonNullable<typeof names> => (names ??= { cluster: serviceChain(sp, proto), local: localChain(sp, proto), external: externalChain(sp, proto) });
  const hasInternal = hasAny && (!sp.internalLocal || local.length > 0);
  const hasExternal = hasAny && (!sp.externalLocal || local.length > 0);
  const usesExt = hasAny && externallyAccessible(sp);
  // Without any endpoint: reject; with endpoints elsewhere only (a Local policy): drop, as upstream.
  const internalNone = !hasAny ? 'goto reject-chain' : 'drop';
  const externalNone = !hasAny ? 'goto reject-chain' : 'drop';

  const vipKey = `${sp.clusterIP} . ${proto} . ${sp.port}`;
  // The service's own traffic: balanced by the shared lb-N chain (by index into backends-N) unless clients stick to an endpoint.
  const internalEps = sp.internalLocal ? local : cluster;
  // The port is lb's, so endpoints that differ in it (a named targetPort resolved per pod) take a chain of their own.
  const epPort = internalEps[0]?.port;
  const viaLb = hasInternal && !sp.stickySeconds && internalEps.every((ep) => ep.port === epPort);
  if (viaLb) {
    const n = internalEps.length;
    let id: string;
    const split = n <= LB_SPLIT_MAX ? splitNames(n, proto, sp.port, epPort!) : undefined;
    if (split && (o.lbSplit?.(split.id, n) ?? true)) {
      id = split.id;
      for (let k = 0; k < n; k++) backendsOf(r, split.maps[k]!).set(sp.clusterIP, internalEps[k]!.ip);
    } else {
      id = `${n}-${proto}-${epPort!}`;
      const m = backendsOf(r, id);
      const key = `${sp.clusterIP} . ${sp.port} . `;
      for (let k = 0; k < n; k++) m.set(key + k, internalEps[k]!.ip);
    }
    r.lbs.add(id);
    r.elements[SERVICE_IPS].set(vipKey, `goto ${lbChain(id)}`);
  } else if (hasInternal) r.elements[SERVICE_IPS].set(vipKey, `goto ${sp.internalLocal ? c().local : c().cluster}`);
  else r.elements[NO_ENDPOINT_SERVICES].set(vipKey, internalNone);
  for (const ip of [...sp.externalIPs, ...sp.loadBalancerIPs]) {
    const key = `${ip} . ${proto} . ${sp.port}`;
    if (hasAny) r.elements[SERVICE_IPS].set(key, `goto ${c().external}`);
    if (!hasExternal) r.elements[NO_ENDPOINT_SERVICES].set(key, externalNone);
  }
  // loadBalancerSourceRanges, as upstream: checked before DNAT (filter-prerouting), so it holds whatever the endpoints.
  if (sp.sourceRanges.length && sp.loadBalancerIPs.length) {
    const fw = firewallChain(sp, proto);
    for (const ip of sp.loadBalancerIPs) r.elements[FIREWALL_IPS].set(`${ip} . ${proto} . ${sp.port}`, `goto ${fw}`);
    r.chains.set(fw, [`${d.ip} saddr != { ${sp.sourceRanges.join(', ')} } drop`]);
  }
  if (sp.nodePort) {
    const key = `${proto} . ${sp.nodePort}`;
    if (hasAny) r.elements[SERVICE_NODEPORTS].set(key, `goto ${c().external}`);
    if (!hasExternal) r.elements[NO_ENDPOINT_NODEPORTS].set(key, externalNone);
  }

  const add = (chain: string, rule: string): void => {
    let rules = r.chains.get(chain);
    if (!rules) r.chains.set(chain, (rules = []));
    rules.push(rule);
  };
  if (hasInternal && !viaLb) {
    // Masqueraded by the rule ahead of the dispatch in `services` (lb-N has its own): one set element instead of a rule per service, as nft parses a rule for several times what an element costs (see docs/benchmarks.md).
    if (masqueradeFrom(o, d) !== undefined) r.elements[MASQUERADE_SERVICES].set(vipKey, '');
  }
  if (usesExt) {
    const { cluster: clusterC, external: externalC } = c();
    if (!sp.externalLocal) add(externalC, 'jump mark-for-masquerade');
    else {
      // Pods and the node itself reaching an external destination are not "external": they use the cluster-wide endpoints.
      if (o.clusterCIDR) add(externalC, `${d.ip} saddr ${o.clusterCIDR} goto ${clusterC}`);
      add(externalC, 'fib saddr type local jump mark-for-masquerade');
      add(externalC, `fib saddr type local goto ${clusterC}`);
    }
    if (hasExternal) add(externalC, `goto ${sp.externalLocal ? c().local : clusterC}`);
  }
  // A balancing chain only where something goes to it: the internal path with affinity (no lb-N), or the external chain
  // (which goes to the cluster chain with either policy, and to the local one with a Local policy).
  const internalViaChain = hasInternal && !viaLb;
  const usesCluster = cluster.length > 0 && ((internalViaChain && !sp.internalLocal) || usesExt);
  const usesLocal = local.length > 0 && ((internalViaChain && sp.internalLocal) || (usesExt && sp.externalLocal));
  if (usesCluster) balance(r, add, sp, proto, c().cluster, cluster, d);
  if (usesLocal) balance(r, add, sp, proto, c().local, local, d);
  // A chain referenced above but never filled (Local policy with the cluster chain in external-) must still exist.
  if (usesExt && sp.externalLocal && !r.chains.has(c().cluster)) r.chains.set(c().cluster, []);
}

function backendsOf(r: ServiceNft, name: string): Map<string, string> {
  let m = r.backends.get(name);
  if (!m) r.backends.set(name, (m = new Map()));
  return m;
}

/**
 * The id of an lb chain with a map per index, and its maps' names: made once per id, so that every service holds the
 * same strings (a full sync looks each service's map names up; a string made anew is hashed anew).
 */
const splitCache = new Map<string, { id: string; maps: string[] }>();
function splitNames(n: number, proto: string, port: number, target: number): { id: string; maps: string[] } {
  const id = `${n}-${proto}-${port}-${target}`;
  let c = splitCache.get(id);
  if (!c) splitCache.set(id, (c = { id, maps: Array.from({ length: n }, (_, k) => `${id}-${k}`) }));
  return c;
}

/** DNAT to one of eps, uniformly: rule i takes 1/(n-i) of what reaches it. */
function balance(r: ServiceNft, add: (c: string, rule: string) => void, sp: ServicePort, proto: string, chain: string, eps: Endpoint[], d: Dialect): void {
  const l4 = `meta l4proto ${proto}`;
  // ClientIP affinity as upstream: each endpoint remembers its clients in a set; every new connection
  // refreshes the client's timeout (the element's, so a changed timeout rewrites the chain, not the sets).
  const remember = (ep: Endpoint): string => (sp.stickySeconds ? ` update @${affinitySet(chain, ep)} { ${d.ip} saddr timeout ${sp.stickySeconds}s }` : '');
  if (sp.stickySeconds) {
    for (const ep of eps) {
      const set = affinitySet(chain, ep);
      r.affinity.add(set);
      add(chain, `${d.ip} saddr @${set} ${l4}${remember(ep)} dnat ${d.ip} to ${d.target(ep)}`);
    }
  }
  const n = eps.length;
  for (let i = 0; i < n; i++) {
    const ep = eps[i]!;
    const pick = i < n - 1 ? ` numgen random mod ${n - i} 0` : '';
    add(chain, `${l4}${pick}${remember(ep)} dnat ${d.ip} to ${d.target(ep)}`);
  }
}

/** The match of ClusterIP traffic to masquerade: everything (masqueradeAll), what is not from the pod network, or nothing without a cluster CIDR. */
function masqueradeFrom(o: Partial<Pick<NftOptions, 'masqueradeAll' | 'clusterCIDR'>>, d: Dialect): string | undefined {
  return o.masqueradeAll ? '' : o.clusterCIDR ? `${d.ip} saddr != ${o.clusterCIDR} ` : undefined;
}

/** The fixed chains, maps and hooks, for an empty table. */
function skeleton(o: NftOptions): string[] {
  const d = dialect(o);
  const T = d.t;
  const mark = o.masqueradeMark;
  const nodePortMatch = o.nodePortIPs.length ? `${d.ip} daddr { ${o.nodePortIPs.join(', ')} }` : `fib daddr type local ${d.noLocalhost}`;
  const dispatch = `${d.ip} daddr . meta l4proto . th dport vmap`;
  const L: string[] = [];
  const chain = (name: string, hook?: string): void => void L.push(`add chain ${T} ${name}${hook ? ` { ${hook} ; }` : ''}`);
  const rule = (c: string, body: string): void => void L.push(`add rule ${T} ${c} ${body}`);
  L.push(`add map ${T} ${SERVICE_IPS} { type ${d.addr} . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`);
  L.push(`add map ${T} ${SERVICE_NODEPORTS} { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`);
  L.push(`add map ${T} ${NO_ENDPOINT_SERVICES} { type ${d.addr} . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`);
  L.push(`add map ${T} ${NO_ENDPOINT_NODEPORTS} { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`);
  L.push(`add map ${T} ${FIREWALL_IPS} { type ${d.addr} . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`);
  L.push(`add set ${T} ${MASQUERADE_SERVICES} { type ${d.addr} . inet_proto . inet_service ; comment "ClusterIP . protocol . port: traffic from outside the pod network is masqueraded" ; }`);
  L.push(`add set ${T} ${HAIRPIN} { type ${d.addr} . ${d.addr} ; flags dynamic,timeout ; timeout ${HAIRPIN_TIMEOUT} ; size 65535 ; comment "daddr . daddr of DNATed connections: saddr . daddr is here when a pod reaches itself through a service" ; }`);
  chain('reject-chain');
  rule('reject-chain', 'reject');
  chain('mark-for-masquerade');
  rule('mark-for-masquerade', `mark set mark or ${mark}`);
  chain('masquerading');
  rule('masquerading', `ct status dnat update @${HAIRPIN} { ${d.ip} daddr . ${d.ip} daddr } ${d.ip} saddr . ${d.ip} daddr @${HAIRPIN} jump mark-for-masquerade`);
  rule('masquerading', `mark and ${mark} == 0 return`);
  // Clear the mark so a packet that traverses the stack again is not masqueraded twice.
  rule('masquerading', `mark set mark xor ${mark}`);
  rule('masquerading', 'masquerade fully-random');
  chain('services');
  // Before the dispatch, which leaves this chain: ClusterIP traffic that does not come from a pod is masqueraded, so replies come back through this node.
  const masqFrom = masqueradeFrom(o, d);
  if (masqFrom !== undefined) rule('services', `${masqFrom}${d.ip} daddr . meta l4proto . th dport @${MASQUERADE_SERVICES} jump mark-for-masquerade`);
  rule('services', `${dispatch} @${SERVICE_IPS}`);
  rule('services', `${nodePortMatch} meta l4proto . th dport vmap @${SERVICE_NODEPORTS}`);
  chain('service-endpoints-check');
  rule('service-endpoints-check', `${dispatch} @${NO_ENDPOINT_SERVICES}`);
  chain('nodeport-endpoints-check');
  rule('nodeport-endpoints-check', `${nodePortMatch} meta l4proto . th dport vmap @${NO_ENDPOINT_NODEPORTS}`);
  chain('firewall-check');
  rule('firewall-check', `${dispatch} @${FIREWALL_IPS}`);
  chain('nat-prerouting', 'type nat hook prerouting priority dstnat');
  rule('nat-prerouting', 'jump services');
  chain('nat-output', 'type nat hook output priority -100');
  rule('nat-output', 'jump services');
  chain('nat-postrouting', 'type nat hook postrouting priority srcnat');
  rule('nat-postrouting', 'jump masquerading');
  // Before DNAT (priority -110): a service without endpoints, or a load balancer IP with source ranges, still has its own address here.
  chain('filter-prerouting', 'type filter hook prerouting priority -110');
  rule('filter-prerouting', 'ct state new jump firewall-check');
  chain('filter-input', 'type filter hook input priority -110');
  rule('filter-input', 'ct state new jump nodeport-endpoints-check');
  rule('filter-input', 'ct state new jump service-endpoints-check');
  chain('filter-forward', 'type filter hook forward priority -110');
  rule('filter-forward', 'ct state new jump service-endpoints-check');
  // As the iptables mode's KUBE-FORWARD: service traffic (marked for masquerade, or of a connection already
  // accepted) is accepted on the forward path. An accept ends only this table's chain; a drop in another table still applies.
  rule('filter-forward', `mark and ${mark} == ${mark} accept`);
  rule('filter-forward', 'ct state established,related accept');
  chain('filter-output', 'type filter hook output priority -110');
  rule('filter-output', 'ct state new jump service-endpoints-check');
  rule('filter-output', 'ct state new jump firewall-check');
  return L;
}

const tableComment = `{ comment "rules for kube-proxy" ; }`;

const emptyLists = (): Record<MapName, string[]> => ({ [SERVICE_IPS]: [], [SERVICE_NODEPORTS]: [], [NO_ENDPOINT_SERVICES]: [], [NO_ENDPOINT_NODEPORTS]: [], [FIREWALL_IPS]: [], [MASQUERADE_SERVICES]: [] });

/**
 * A full sync: the table is created if missing, deleted, and written again
 * whole, in one transaction (nothing of ours that we no longer know about
 * survives, and traffic never sees a half-written table). Each lb chain and
 * map is declared ahead of the first service that uses it; lbIds receives
 * their ids (the table's after this sync).
 */
export function assembleFull(all: Iterable<ServiceNft>, o: NftOptions, lbIds: Set<string> = new Set()): string {
  const d = dialect(o);
  const T = d.t;
  const L: string[] = [`add table ${T} ${tableComment}`, `delete table ${T}`, `add table ${T} ${tableComment}`, ...skeleton(o)];
  const els = emptyLists();
  const backends = new Map<string, string[]>();
  for (const s of all) {
    const t = (s.text ??= fullText(s, o));
    if (t.chains) L.push(t.chains);
    for (const [m, e] of t.elements) els[m].push(e);
    for (const id of s.lbs) {
      if (lbIds.has(id)) continue;
      lbIds.add(id);
      L.push(...lbDecl(id, o, d));
    }
    for (const [name, e] of t.backends) {
      const b = backends.get(name);
      if (b) b.push(e);
      else backends.set(name, [e]);
    }
  }
  for (const m of MAPS) if (els[m].length) L.push(`add element ${T} ${m} { ${els[m].join(', ')} }`);
  for (const [id, e] of backends) L.push(`add element ${T} ${backendsMap(id)} { ${e.join(', ')} }`);
  return `${L.join('\n')}\n`;
}

function fullText(s: ServiceNft, o: NftOptions): NonNullable<ServiceNft['text']> {
  const d = dialect(o);
  const L: string[] = [];
  for (const m of s.affinity) L.push(affinityDecl(m, d));
  for (const c of s.chains.keys()) L.push(`add chain ${d.t} ${c}`);
  for (const [c, rules] of s.chains) for (const rule of rules) L.push(`add rule ${d.t} ${c} ${rule}`);
  // Only the maps it has elements in: most services have one element in service-ips and the rest in one backends- map.
  const elements: Array<[MapName, string]> = [];
  for (const m of MAPS) {
    if (s.elements[m].size === 0) continue;
    let e = '';
    for (const [k, v] of s.elements[m]) e += e ? `, ${element(k, v)}` : element(k, v);
    elements.push([m, e]);
  }
  const backends: Array<[string, string]> = [];
  for (const [id, els] of s.backends) {
    let e = '';
    for (const [k, v] of els) e += e ? `, ${k} : ${v}` : `${k} : ${v}`;
    backends.push([id, e]);
  }
  return { chains: L.length ? L.join('\n') : '', elements, backends };
}

const affinityDecl = (m: string, d: Dialect): string => `add set ${d.t} ${m} { type ${d.addr} ; flags dynamic,timeout ; }`;

/**
 * lb-<id> and its backends- maps. Only ClusterIP traffic comes here, so the
 * chain masquerades it as `services` does for the chains (an element of
 * masquerade-services per service would cost more to load than this rule).
 * The protocol match is always true (service-ips matched it), but nft takes
 * a port in a DNAT only after one. Up to LB_SPLIT_MAX endpoints (id
 * "n-proto-port-targetPort"), rule i takes 1/(n-i) of what reaches it from
 * map i, keyed by the ClusterIP alone (the chain is the port's); above it (id
 * "n-proto-targetPort"), one map keyed by the packet's own address, port and a
 * random index below n.
 */
function lbDecl(id: string, o: LbOptions, d = dialect(o)): string[] {
  const parts = id.split('-');
  const [n, proto] = [Number(parts[0]), parts[1]!];
  const masq = masqueradeFrom(o, d);
  const maps: string[] = [];
  const L = [`add chain ${d.t} ${lbChain(id)}`, ...(masq !== undefined ? [`add rule ${d.t} ${lbChain(id)} ${masq}jump mark-for-masquerade`] : [])];
  if (parts.length === 4) {
    const [port, target] = [parts[2]!, parts[3]!];
    for (let k = 0; k < n; k++) {
      maps.push(`add map ${d.t} ${backendsMap(`${id}-${k}`)} { type ${d.addr} : ${d.addr} ; comment "ClusterIP: endpoint ${k} of ${proto} services with ${n}, port ${port} to ${target}" ; }`);
      const pick = k < n - 1 ? `numgen random mod ${n - k} 0 ` : '';
      L.push(`add rule ${d.t} ${lbChain(id)} meta l4proto ${proto} ${pick}dnat ${d.ip} to ${d.ip} daddr map @${backendsMap(`${id}-${k}`)} : ${target}`);
    }
    return [...maps, ...L];
  }
  const target = parts[2]!;
  const key = `${d.ip} daddr . th dport . numgen random mod ${n}`;
  maps.push(`add map ${d.t} ${backendsMap(id)} { typeof ${key} : ${d.ip} daddr ; comment "${d.ip} . port . index: the endpoints of ${proto} services with ${n}, on port ${target}" ; }`);
  L.push(`add rule ${d.t} ${lbChain(id)} meta l4proto ${proto} dnat ${d.ip} to ${key} map @${backendsMap(id)} : ${target}`);
  return [...maps, ...L];
}

/** What a partial sync needs of the options: the table, and the masquerade match of lb-N chains it creates. */
export type LbOptions = Partial<Pick<NftOptions, 'family' | 'masqueradeAll' | 'clusterCIDR'>>;

export interface Change {
  before?: ServiceNft;
  after?: ServiceNft;
}

/**
 * A partial sync: only what changed in the changed services. New chains and
 * maps first, then element deletes, chain rewrites (flush + rules), element
 * adds, and last the chains and maps nothing refers to any more. lbSizes:
 * the ids whose lb- chain and backends- map exist; those this transaction
 * creates are added to it (they stay, empty or not, until the next full sync).
 */
export function assemblePartial(changes: Iterable<Change>, o: LbOptions = {}, lbSizes: Set<string> = new Set()): string {
  const d = dialect(o);
  const T = d.t;
  const create: string[] = [];
  const delEls: string[] = [];
  const rewrite: string[] = [];
  const addEls: string[] = [];
  const drop: string[] = [];
  for (const { before, after } of changes) {
    for (const id of after?.lbs ?? []) {
      if (lbSizes.has(id)) continue;
      lbSizes.add(id);
      create.push(...lbDecl(id, o, d));
    }
    for (const m of after?.affinity ?? []) if (!before?.affinity.has(m)) create.push(affinityDecl(m, d));
    for (const [c, rules] of after?.chains ?? []) {
      const old = before?.chains.get(c);
      if (old && old.length === rules.length && old.every((l, i) => l === rules[i])) continue;
      if (old) rewrite.push(`flush chain ${T} ${c}`);
      else create.push(`add chain ${T} ${c}`);
      for (const rule of rules) rewrite.push(`add rule ${T} ${c} ${rule}`);
    }
    for (const m of MAPS) {
      const b = before?.elements[m];
      const a = after?.elements[m];
      const gone: string[] = [];
      const added: string[] = [];
      for (const [k, v] of b ?? []) if (a?.get(k) !== v) gone.push(k);
      for (const [k, v] of a ?? []) if (b?.get(k) !== v) added.push(element(k, v));
      if (gone.length) delEls.push(`delete element ${T} ${m} { ${gone.join(', ')} }`);
      if (added.length) addEls.push(`add element ${T} ${m} { ${added.join(', ')} }`);
    }
    for (const n of new Set([...(before?.backends.keys() ?? []), ...(after?.backends.keys() ?? [])])) {
      const b = before?.backends.get(n);
      const a = after?.backends.get(n);
      const gone: string[] = [];
      const added: string[] = [];
      for (const [k, v] of b ?? []) if (a?.get(k) !== v) gone.push(k);
      for (const [k, v] of a ?? []) if (b?.get(k) !== v) added.push(`${k} : ${v}`);
      if (gone.length) delEls.push(`delete element ${T} ${backendsMap(n)} { ${gone.join(', ')} }`);
      if (added.length) addEls.push(`add element ${T} ${backendsMap(n)} { ${added.join(', ')} }`);
    }
    for (const c of before?.chains.keys() ?? []) {
      if (after?.chains.has(c)) continue;
      drop.push(`flush chain ${T} ${c}`, `delete chain ${T} ${c}`);
    }
    for (const m of before?.affinity ?? []) if (!after?.affinity.has(m)) drop.push(`delete set ${T} ${m}`);
  }
  // Flushing a removed chain before any delete: another removed chain of the same service may jump to it.
  const flushes = drop.filter((l) => l.startsWith('flush '));
  const deletes = drop.filter((l) => !l.startsWith('flush '));
  const all = [...create, ...delEls, ...rewrite, ...addEls, ...flushes, ...deletes];
  return all.length ? `${all.join('\n')}\n` : '';
}
