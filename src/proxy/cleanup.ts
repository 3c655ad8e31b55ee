import { hostExec } from './exec.js';
import { cleanupIptables } from './iptables/cleanup.js';
import { cleanupNftables } from './nftables/cleanup.js';

// Every rule any of the proxy's modes writes into the host's netfilter, as
// upstream's `kube-proxy --cleanup` removes them: the iptables chains (and
// the jumps into them) and the nftables `kube-proxy` tables.

export interface ProxyRulesRemoval {
  chains: number;
  jumps: number;
  /** nftables families whose kube-proxy table was deleted. */
  nftables: string[];
}

export async function removeProxyRules(): Promise<ProxyRulesRemoval> {
  const exec = hostExec();
  const { chains, jumps } = await cleanupIptables(exec);
  const nftables = await cleanupNftables(exec);
  return { chains, jumps, nftables };
}

/** Lines for a person: what removeProxyRules took away. */
export function describeProxyRulesRemoval(r: ProxyRulesRemoval): string[] {
  const lines = [`proxy: removed ${r.chains} chains and ${r.jumps} jump rules`];
  if (r.nftables.length) lines.push(`proxy: removed nftables tables ${r.nftables.map((f) => `${f} kube-proxy`).join(', ')}`);
  return lines;
}
