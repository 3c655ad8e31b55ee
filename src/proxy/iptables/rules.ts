import type { Endpoint, ServicePort } from '../types.js';
import { endpointString, externallyAccessible } from '../types.js';
import { categorize } from '../state.js';
import { extChain, sepChain, svcChain, svlChain } from '../names.js';
import { FILTER_CHAINS, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_MARK_MASQ, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_SERVICES, NAT_CHAINS } from './chains.js';

// The iptables rules of upstream's iptables proxier, rendered per service so
// a sync can send iptables-restore only the services that changed: the
// top-level chains (KUBE-SERVICES, KUBE-NODEPORTS, ...) are always rewritten
// whole from every service's lines, a service's own chains only when it
// changed. The output is iptables-restore input for --noflush, where a
// ":CHAIN" line flushes that chain and leaves every other chain alone.

export interface RuleOptions {
  masqueradeAll: boolean;
  /** Pod network; traffic to a ClusterIP from outside it is masqueraded (upstream's local detector). */
  clusterCIDR?: string;
  /** Local addresses NodePorts answer on; empty: every local address. */
  nodePortIPs: string[];
  masqueradeMark: string;
  randomFully: boolean;
}

/** One service's share of the rules. */
export interface ServiceRules {
  natServices: string[];
  natNodePorts: string[];
  filterServices: string[];
  filterExternal: string[];
  /** nat chains owned by this service, name → rules. */
  chains: Map<string, string[]>;
  endpointCount: number;
}

/** Upstream's probability string: fmt "%0.10f" of 1/n. */
export const probability = (n: number): string => (1 / n).toFixed(10);

const q = (s: string): string => `"${s}"`;

export function renderService(ports: Array<{ sp: ServicePort; endpoints: Endpoint[] }>, o: RuleOptions, largeCluster: boolean): ServiceRules {
  const r: ServiceRules = { natServices: [], natNodePorts: [], filterServices: [], filterExternal: [], chains: new Map(), endpointCount: 0 };
  for (const { sp, endpoints } of ports) renderPort(r, sp, endpoints, o, largeCluster);
  return r;
}

function renderPort(r: ServiceRules, sp: ServicePort, endpoints: Endpoint[], o: RuleOptions, large: boolean): void {
  const proto = sp.protocol.toLowerCase();
  const name = sp.name;
  const { cluster, local, reachable, hasAny } = categorize(sp, endpoints);
  r.endpointCount += endpoints.length;
  const clusterChain = svcChain(name, proto);
  const localChain = svlChain(name, proto);
  const externalChain = extChain(name, proto);
  const internalChain = sp.internalLocal ? localChain : clusterChain;
  const hasInternal = hasAny && (!sp.internalLocal || local.length > 0);
  const externalPolicyChain = sp.externalLocal ? localChain : clusterChain;
  const hasExternal = hasAny && (!sp.externalLocal || local.length > 0);
  const usesExt = hasAny && externallyAccessible(sp);
  const match = `-m ${proto} -p ${proto}`;
  let internalTarget = '';
  let internalComment = '';
  let externalTarget = '';
  let externalComment = '';
  if (!hasAny) {
    internalTarget = externalTarget = 'REJECT';
    internalComment = externalComment = q(`${name} has no endpoints`);
  } else {
    if (!hasInternal) {
      internalTarget = 'DROP';
      internalComment = q(`${name} has no local endpoints`);
    }
    if (!hasExternal) {
      externalTarget = 'DROP';
      externalComment = q(`${name} has no local endpoints`);
    }
  }

  const vip = `${match} -d ${sp.clusterIP} --dport ${sp.port}`;
  if (hasInternal) r.natServices.push(`-A ${KUBE_SERVICES} -m comment --comment ${q(`${name} cluster IP`)} ${vip} -j ${internalChain}`);
  else r.filterServices.push(`-A ${KUBE_SERVICES} -m comment --comment ${internalComment} ${vip} -j ${internalTarget}`);

  for (const ip of sp.externalIPs) {
    const dst = `${match} -d ${ip} --dport ${sp.port}`;
    if (hasAny) r.natServices.push(`-A ${KUBE_SERVICES} -m comment --comment ${q(`${name} external IP`)} ${dst} -j ${externalChain}`);
    if (!hasExternal) r.filterExternal.push(`-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalComment} ${dst} -j ${externalTarget}`);
  }

  if (sp.nodePort) {
    if (hasAny) r.natNodePorts.push(`-A ${KUBE_NODEPORTS} -m comment --comment ${q(name)} ${match} --dport ${sp.nodePort} -j ${externalChain}`);
    if (!hasExternal) r.filterExternal.push(`-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalComment} -m addrtype --dst-type LOCAL ${match} --dport ${sp.nodePort} -j ${externalTarget}`);
  }

  const add = (chain: string, rule: string): void => {
    let rules = r.chains.get(chain);
    if (!rules) r.chains.set(chain, (rules = []));
    rules.push(rule);
  };

  // Masquerade ClusterIP traffic that does not come from a pod, so replies come back through this node.
  if (hasInternal) {
    const head = `-A ${internalChain} -m comment --comment ${q(`${name} cluster IP`)} ${vip}`;
    if (o.masqueradeAll) add(internalChain, `${head} -j ${KUBE_MARK_MASQ}`);
    else if (o.clusterCIDR) add(internalChain, `${head} ! -s ${o.clusterCIDR} -j ${KUBE_MARK_MASQ}`);
  }

  if (usesExt) {
    if (!sp.externalLocal) {
      add(externalChain, `-A ${externalChain} -m comment --comment ${q(`masquerade traffic for ${name} external destinations`)} -j ${KUBE_MARK_MASQ}`);
    } else {
      // Pods and the node itself reaching an external destination are not "external": they use the cluster-wide endpoints.
      if (o.clusterCIDR) add(externalChain, `-A ${externalChain} -m comment --comment ${q(`pod traffic for ${name} external destinations`)} -s ${o.clusterCIDR} -j ${clusterChain}`);
      add(externalChain, `-A ${externalChain} -m comment --comment ${q(`masquerade LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j ${KUBE_MARK_MASQ}`);
      add(externalChain, `-A ${externalChain} -m comment --comment ${q(`route LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j ${clusterChain}`);
    }
    if (hasExternal) add(externalChain, `-A ${externalChain} -j ${externalPolicyChain}`);
  }

  const usesCluster = cluster.length > 0;
  const usesLocal = local.length > 0 && (sp.internalLocal || sp.externalLocal);
  if (usesCluster) writeBalancing(add, name, proto, sp, clusterChain, cluster, large);
  if (usesLocal) writeBalancing(add, name, proto, sp, localChain, local, large);
  // A chain referenced above but never filled (Local policy with the cluster chain in EXT) must still exist.
  if (usesExt && sp.externalLocal && !r.chains.has(clusterChain)) r.chains.set(clusterChain, []);

  for (const ep of reachable) {
    const chain = sepChain(name, proto, endpointString(ep));
    const comment = large ? '' : ` -m comment --comment ${q(name)}`;
    add(chain, `-A ${chain}${comment} -s ${ep.ip} -j ${KUBE_MARK_MASQ}`);
    const recent = sp.stickySeconds ? ` -m recent --name ${chain} --set` : '';
    add(chain, `-A ${chain}${comment}${recent} ${match} -j DNAT --to-destination ${endpointString(ep)}`);
  }
}

function writeBalancing(add: (c: string, r: string) => void, name: string, proto: string, sp: ServicePort, chain: string, eps: Endpoint[], large: boolean): void {
  const comment = (ep: Endpoint): string => (large ? '' : ` -m comment --comment ${q(`${name} -> ${endpointString(ep)}`)}`);
  if (sp.stickySeconds) {
    for (const ep of eps) {
      const sep = sepChain(name, proto, endpointString(ep));
      add(chain, `-A ${chain}${comment(ep)} -m recent --name ${sep} --rcheck --seconds ${sp.stickySeconds} --reap -j ${sep}`);
    }
  }
  eps.forEach((ep, i) => {
    const sep = sepChain(name, proto, endpointString(ep));
    const stat = i < eps.length - 1 ? ` -m statistic --mode random --probability ${probability(eps.length - i)}` : '';
    add(chain, `-A ${chain}${comment(ep)}${stat} -j ${sep}`);
  });
}

export interface AssembleInput {
  /** Every service's rules (for the top-level chains). */
  all: Iterable<ServiceRules>;
  /** The services whose own chains are written this time (all of them on a full sync). */
  changed: Iterable<ServiceRules>;
  /** Our chains to delete (no longer used). */
  deleteChains: Iterable<string>;
  /** Jump rules missing from the built-in chains (full syncs only). */
  jumps: { filter: string[]; nat: string[] };
}

/** One iptables-restore transaction: the filter and nat content we own. */
export function assemble(inp: AssembleInput, o: RuleOptions): string {
  const filter: string[] = ['*filter'];
  for (const c of FILTER_CHAINS) filter.push(`:${c} - [0:0]`);
  filter.push(...inp.jumps.filter);
  const nat: string[] = ['*nat'];
  for (const c of NAT_CHAINS) nat.push(`:${c} - [0:0]`);
  const natRules: string[] = [...inp.jumps.nat];
  natRules.push(`-A ${KUBE_POSTROUTING} -m mark ! --mark ${o.masqueradeMark}/${o.masqueradeMark} -j RETURN`);
  // Clear the mark so a packet that traverses the stack again is not masqueraded twice.
  natRules.push(`-A ${KUBE_POSTROUTING} -j MARK --xor-mark ${o.masqueradeMark}`);
  natRules.push(`-A ${KUBE_POSTROUTING} -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${o.randomFully ? ' --random-fully' : ''}`);
  natRules.push(`-A ${KUBE_MARK_MASQ} -j MARK --or-mark ${o.masqueradeMark}`);
  const nodePorts: string[] = [];
  for (const s of inp.all) {
    for (const l of s.natServices) natRules.push(l);
    for (const l of s.natNodePorts) nodePorts.push(l);
    for (const l of s.filterServices) filter.push(l);
    for (const l of s.filterExternal) filter.push(l);
  }
  for (const s of inp.changed) {
    for (const [chain, rules] of s.chains) {
      nat.push(`:${chain} - [0:0]`);
      for (const l of rules) natRules.push(l);
    }
  }
  for (const c of inp.deleteChains) {
    nat.push(`:${c} - [0:0]`);
    natRules.push(`-X ${c}`);
  }
  // The NodePort catch-all must be the last rule of KUBE-SERVICES.
  const npComment = '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain"';
  if (o.nodePortIPs.length === 0) natRules.push(`-A ${KUBE_SERVICES} ${npComment} -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j ${KUBE_NODEPORTS}`);
  else for (const ip of o.nodePortIPs) natRules.push(`-A ${KUBE_SERVICES} ${npComment} -d ${ip} -j ${KUBE_NODEPORTS}`);
  natRules.push(...nodePorts);
  filter.push(`-A ${KUBE_FORWARD} -m conntrack --ctstate INVALID -j DROP`);
  filter.push(`-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding rules" -m mark --mark ${o.masqueradeMark}/${o.masqueradeMark} -j ACCEPT`);
  filter.push(`-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
  filter.push('COMMIT');
  // Chain declarations come before any rule that jumps to them.
  return `${filter.join('\n')}\n${nat.join('\n')}\n${natRules.join('\n')}\nCOMMIT\n`;
}

/**
 * A partial sync: only the changed services' lines. Their own chains are
 * redeclared (flushed) and refilled; their lines in the shared top-level
 * chains are deleted and inserted one by one (-D/-I) instead of rewriting
 * those chains, whose size grows with the cluster. Order inside the shared
 * chains does not matter (each rule matches its own address and port),
 * except the NodePort catch-all that ends KUBE-SERVICES: new lines go first.
 */
export function assemblePartial(changes: Array<{ before?: ServiceRules; after?: ServiceRules }>, deleteChains: Iterable<string>): string {
  const filter: string[] = [];
  const natDecl: string[] = [];
  const natChainRules: string[] = [];
  const natTop: string[] = [];
  const natDelete: string[] = [];
  const diff = (before: string[] = [], after: string[] = [], out: string[], insertFirst: boolean): void => {
    const a = new Set(after);
    const b = new Set(before);
    for (const l of before) if (!a.has(l)) out.push(`-D${l.slice(2)}`);
    for (const l of after) {
      if (b.has(l)) continue;
      if (insertFirst) {
        const sp = l.indexOf(' ', 3);
        out.push(`-I ${l.slice(3, sp)} 1${l.slice(sp)}`);
      } else out.push(l);
    }
  };
  for (const { before, after } of changes) {
    diff(before?.filterServices, after?.filterServices, filter, false);
    diff(before?.filterExternal, after?.filterExternal, filter, false);
    for (const [chain, rules] of after?.chains ?? []) {
      const old = before?.chains.get(chain);
      if (old && old.length === rules.length && old.every((l, i) => l === rules[i])) continue;
      natDecl.push(`:${chain} - [0:0]`);
      natChainRules.push(...rules);
    }
    diff(before?.natServices, after?.natServices, natTop, true);
    diff(before?.natNodePorts, after?.natNodePorts, natTop, false);
  }
  for (const c of deleteChains) {
    natDecl.push(`:${c} - [0:0]`);
    natDelete.push(`-X ${c}`);
  }
  let text = '';
  if (filter.length) text += `*filter\n${filter.join('\n')}\nCOMMIT\n`;
  // Chains first, then their rules, then the jumps into them; deletes last, once nothing refers to them.
  const nat = [...natDecl, ...natChainRules, ...natTop, ...natDelete];
  if (nat.length) text += `*nat\n${nat.join('\n')}\nCOMMIT\n`;
  return text;
}
