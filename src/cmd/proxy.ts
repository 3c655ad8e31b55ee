import type { Command } from 'commander';
import { loadDefaultConfig, type ClientConfig } from '../client/kubeconfig.js';
import { parseGoDuration } from '../kubelet/util/duration.js';
import type { ProxyMode, RunningProxy } from '../proxy/proxy.js';
import { isIPv4CIDR, isIPv6CIDR } from '../proxy/addresses.js';
import { progress } from './progress.js';

// `k8ts proxy`: kube-proxy's flags (the ones k8ts honours, by upstream's names).
// `k8ts server --disable-agent` defines these flags too, so the proxy itself
// is imported only when it runs.

export interface ProxyFlags {
  kubeconfig?: string;
  proxyMode?: string;
  cleanup?: boolean;
  hostnameOverride?: string;
  minSyncPeriod: string;
  syncPeriod: string;
  masqueradeAll?: boolean;
  clusterCidr?: string;
  nodeportAddresses?: string;
}

export interface ProxySettings {
  mode: ProxyMode;
  nodeName?: string;
  minSyncPeriodMs: number;
  syncPeriodMs: number;
  masqueradeAll: boolean;
  clusterCIDR?: string;
  nodePortAddresses: string[];
}

export function proxySettings(f: Partial<ProxyFlags>): ProxySettings {
  // proxy.ts's defaultMode, without loading the proxy.
  const mode = (f.proxyMode || (process.getuid?.() === 0 ? 'iptables' : 'userspace')) as ProxyMode;
  if (mode !== 'iptables' && mode !== 'nftables' && mode !== 'userspace') throw new Error(`--proxy-mode must be iptables, nftables or userspace, not ${f.proxyMode}`);
  if (mode !== 'userspace' && process.getuid?.() !== 0) throw new Error(`--proxy-mode ${mode} needs root; use --proxy-mode userspace`);
  if (f.clusterCidr) {
    // Dual-stack (nftables mode): one range of each family, comma-separated, as upstream.
    const cidrs = f.clusterCidr.split(',').map((s) => s.trim());
    const v6 = cidrs.filter((c) => c.includes(':'));
    const ok = cidrs.every((c) => isIPv4CIDR(c) || isIPv6CIDR(c)) && v6.length <= 1 && cidrs.length - v6.length <= 1;
    if (!ok || (mode !== 'nftables' && (v6.length || cidrs.length > 1))) throw new Error(`--cluster-cidr must be an IPv4 CIDR${mode === 'nftables' ? ', an IPv6 CIDR or one of each (comma-separated)' : ''}, not ${f.clusterCidr}`);
  }
  const nodePortAddresses = (f.nodeportAddresses ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const c of nodePortAddresses) if (!isIPv4CIDR(c)) throw new Error(`--nodeport-addresses takes IPv4 CIDRs, not ${c}`);
  const minSyncPeriodMs = parseGoDuration(f.minSyncPeriod ?? '1s');
  const syncPeriodMs = parseGoDuration(f.syncPeriod ?? '30s');
  if (!(syncPeriodMs > 0)) throw new Error('--sync-period must be greater than 0');
  return { mode, nodeName: f.hostnameOverride, minSyncPeriodMs, syncPeriodMs, masqueradeAll: !!f.masqueradeAll, clusterCIDR: f.clusterCidr, nodePortAddresses };
}

export async function runProxy(settings: ProxySettings, clientConfig: ClientConfig): Promise<RunningProxy> {
  progress(`proxy: starting in ${settings.mode} mode`);
  const { startProxy } = await import('../proxy/proxy.js');
  const p = await startProxy({ clientConfig, ...settings, mode: settings.mode });
  void p.ready.then(() => progress(`proxy: ${settings.mode} ${settings.mode === 'userspace' ? 'listeners' : 'rules'} in place for ${p.state.services.size} services (node ${p.nodeName})`));
  return p;
}

export function addProxyFlags(cmd: Command): Command {
  return cmd
    .option('--proxy-mode <mode>', 'iptables (needs root; the default as root), nftables (needs root) or userspace (the default otherwise)')
    .option('--cluster-cidr <cidr>', 'pod network: ClusterIP traffic from outside it is masqueraded (nftables mode: "v4cidr,v6cidr" on a dual-stack cluster)')
    .option('--masquerade-all', 'masquerade all traffic sent to a ClusterIP')
    .option('--min-sync-period <d>', 'minimum interval between rule syncs; changes in between are batched', '1s')
    .option('--sync-period <d>', 'interval of full re-syncs of the rules', '30s')
    .option('--nodeport-addresses <cidrs>', 'comma-separated CIDRs: NodePorts answer only on local addresses inside them (default: all)');
}

export function addProxyCommand(program: Command): Command {
  return addProxyFlags(
    program
      .command('proxy')
      .description('run the network proxy (kube-proxy): Services to endpoints with iptables or nftables rules, or userspace forwarding')
      .option('--kubeconfig <path>', 'kubeconfig of the API server (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
      .option('--cleanup', 'remove every iptables chain and rule and the nftables tables of the proxy, then exit')
      .option('--hostname-override <name>', 'name of this node (default: the hostname)'),
  ).action(async (flags: ProxyFlags) => {
    if (flags.cleanup) {
      const { removeProxyRules, describeProxyRulesRemoval } = await import('../proxy/cleanup.js');
      for (const line of describeProxyRulesRemoval(await removeProxyRules())) progress(line);
      return;
    }
    const settings = proxySettings(flags);
    const p = await runProxy(settings, loadDefaultConfig({ kubeconfig: flags.kubeconfig }));
    await p.ready;
    progress('proxy is ready');
    let stopping = false;
    const stop = (sig: string): void => {
      if (stopping) process.exit(1);
      stopping = true;
      progress(`${sig}: stopping proxy (rules stay in place; --cleanup removes them)`);
      p.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
