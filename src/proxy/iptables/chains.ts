// The fixed chains and the jumps into them from the built-in chains, as
// upstream's iptables proxier lays them out (iptablesJumpChains).

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
export const KUBE_PROXY_CANARY = 'KUBE-PROXY-CANARY';

export const FILTER_CHAINS = [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL];
export const NAT_CHAINS = [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ];
/** Every fixed chain kube-proxy may own in any table (KUBE-FIREWALL and KUBE-MARK-DROP are the kubelet's). */
export const OWN_FIXED_CHAINS = new Set([...FILTER_CHAINS, ...NAT_CHAINS, KUBE_PROXY_CANARY]);

export interface Jump {
  table: 'filter' | 'nat';
  from: string;
  to: string;
  comment: string;
  extra: string[];
}

const NEW = ['-m', 'conntrack', '--ctstate', 'NEW'];

export const JUMPS: Jump[] = [
  { table: 'filter', from: 'INPUT', to: KUBE_EXTERNAL_SERVICES, comment: 'kubernetes externally-visible service portals', extra: NEW },
  { table: 'filter', from: 'FORWARD', to: KUBE_EXTERNAL_SERVICES, comment: 'kubernetes externally-visible service portals', extra: NEW },
  { table: 'filter', from: 'INPUT', to: KUBE_NODEPORTS, comment: 'kubernetes health check service ports', extra: [] },
  { table: 'filter', from: 'FORWARD', to: KUBE_SERVICES, comment: 'kubernetes service portals', extra: NEW },
  { table: 'filter', from: 'OUTPUT', to: KUBE_SERVICES, comment: 'kubernetes service portals', extra: NEW },
  { table: 'filter', from: 'FORWARD', to: KUBE_FORWARD, comment: 'kubernetes forwarding rules', extra: [] },
  { table: 'filter', from: 'INPUT', to: KUBE_PROXY_FIREWALL, comment: 'kubernetes load balancer firewall', extra: NEW },
  { table: 'filter', from: 'OUTPUT', to: KUBE_PROXY_FIREWALL, comment: 'kubernetes load balancer firewall', extra: NEW },
  { table: 'filter', from: 'FORWARD', to: KUBE_PROXY_FIREWALL, comment: 'kubernetes load balancer firewall', extra: NEW },
  { table: 'nat', from: 'OUTPUT', to: KUBE_SERVICES, comment: 'kubernetes service portals', extra: [] },
  { table: 'nat', from: 'PREROUTING', to: KUBE_SERVICES, comment: 'kubernetes service portals', extra: [] },
  { table: 'nat', from: 'POSTROUTING', to: KUBE_POSTROUTING, comment: 'kubernetes postrouting rules', extra: [] },
];

export function jumpRule(j: Jump, op: '-I' | '-A' | '-D' = '-I'): string {
  return [op, j.from, ...j.extra, '-m', 'comment', '--comment', `"${j.comment}"`, '-j', j.to].join(' ');
}
