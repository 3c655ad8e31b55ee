import { hostname } from 'node:os';
import { RestClient } from '../client/rest.js';
import { InformerFactory } from '../client/informer-factory.js';
import type { ClientConfig } from '../client/kubeconfig.js';
import { metaNamespaceKey } from '../client/store.js';
import { logger } from '../util/log.js';
import { hostExec, type Exec } from './exec.js';
import { ProxyState } from './state.js';
import type { EndpointSlice, IPFamily, Service } from './types.js';
import type { IptablesProxier, SyncResult } from './iptables/proxier.js';
import type { UserspaceProxier } from './userspace/proxier.js';
import type { NftablesProxier } from './nftables/proxier.js';
import { cleanupNftables } from './nftables/cleanup.js';
import { cleanupIptables } from './iptables/cleanup.js';
import { ensureSysctls } from './sysctl.js';
import { BoundedRunner } from './runner.js';

// kube-proxy: Services and EndpointSlices from the API server (informers,
// with the proxy's own identity), turned into iptables rules (as root) or
// nftables rules (--proxy-mode nftables), or into listeners that forward
// connections (userspace mode).

const log = logger('kube-proxy');

export type ProxyMode = 'iptables' | 'nftables' | 'userspace';

const SERVICES = { group: '', version: 'v1', resource: 'services', namespaced: true };
const SLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespaced: true };
// As upstream: services handled by another proxy, and headless services, are not ours.
const SERVICE_SELECTOR = '!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless';
const SLICE_SELECTOR = '!service.kubernetes.io/headless,!service.kubernetes.io/service-proxy-name';

export interface ProxyOptions {
  clientConfig: ClientConfig;
  mode?: ProxyMode;
  /** Node name (--hostname-override); endpoints on it are "local" for the Local traffic policies. */
  nodeName?: string;
  minSyncPeriodMs?: number;
  syncPeriodMs?: number;
  masqueradeAll?: boolean;
  clusterCIDR?: string;
  nodePortAddresses?: string[];
  /** nftables mode: the families to proxy (default: IPv4, and IPv6 where the kernel has it enabled). */
  ipFamilies?: IPFamily[];
  /** Run iptables/sysctl/ip in this network namespace (tests and benchmarks). */
  netns?: string;
  exec?: Exec;
  /** Called after every sync attempt. */
  onSync?: (r: { ok: boolean; result?: SyncResult; error?: Error }) => void;
}

export interface RunningProxy {
  mode: ProxyMode;
  nodeName: string;
  state: ProxyState;
  iptables?: IptablesProxier;
  nftables?: NftablesProxier;
  userspace?: UserspaceProxier;
  /** Resolves after the first successful sync that followed the caches' sync. */
  ready: Promise<void>;
  /** Ask for a sync now (still bounded by --min-sync-period) and wait until no sync is pending. */
  flush(): Promise<void>;
  stop(): Promise<void>;
  /** Its API client (a joined agent swaps the client certificate in when it is renewed). */
  client: RestClient;
}

/** Dual-stack as upstream decides it per node: IPv6 is proxied where the node's kernel has it. */
async function ipv6Enabled(exec: Exec): Promise<boolean> {
  const r = await exec.run('sysctl', ['-n', 'net.ipv6.conf.all.disable_ipv6']).catch(() => undefined);
  return r?.code === 0 && r.stdout.trim() === '0';
}

export function defaultMode(): ProxyMode {
  return process.getuid?.() === 0 ? 'iptables' : 'userspace';
}

export async function startProxy(o: ProxyOptions): Promise<RunningProxy> {
  const mode = o.mode ?? defaultMode();
  const nodeName = (o.nodeName ?? hostname()).toLowerCase();
  const exec = o.exec ?? hostExec(o.netns);
  const state = new ProxyState(nodeName);
  const client = new RestClient(o.clientConfig, { component: 'kube-proxy', qps: 5, burst: 10 });
  const factory = new InformerFactory(client);
  const services = factory.informerFor<Service>(SERVICES, { labelSelector: SERVICE_SELECTOR });
  const slices = factory.informerFor<EndpointSlice>(SLICES, { labelSelector: SLICE_SELECTOR });
  let iptables: IptablesProxier | undefined;
  let nftables: NftablesProxier | undefined;
  let userspace: UserspaceProxier | undefined;
  if (mode === 'iptables') {
    await ensureSysctls(exec, log);
    // As upstream, and the reverse of the nftables mode's start: an nftables-mode proxy's table would still DNAT.
    try {
      const gone = await cleanupNftables(exec);
      if (gone.length) log.info({ families: gone }, 'removed the nftables table of an earlier nftables-mode proxy');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not check for nftables-mode leftovers');
    }
    // Each mode's proxier is loaded only in that mode (the nftables renderer alone is 30 KB of source).
    const { IptablesProxier } = await import('./iptables/proxier.js');
    iptables = new IptablesProxier({ exec, state, log, masqueradeAll: o.masqueradeAll, clusterCIDR: o.clusterCIDR, nodePortAddresses: o.nodePortAddresses });
  } else if (mode === 'nftables') {
    await ensureSysctls(exec, log);
    // As upstream, a proxy in nftables mode removes what an iptables-mode proxy left behind (its rules would still DNAT first).
    try {
      const r = await cleanupIptables(exec);
      if (r.chains || r.jumps) log.info({ chains: r.chains, jumps: r.jumps }, 'removed the iptables rules of an earlier iptables-mode proxy');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not check for iptables-mode leftovers');
    }
    const ipFamilies = o.ipFamilies ?? ((await ipv6Enabled(exec)) ? (['IPv4', 'IPv6'] as IPFamily[]) : (['IPv4'] as IPFamily[]));
    const { NftablesProxier } = await import('./nftables/proxier.js');
    nftables = new NftablesProxier({ exec, state, log, masqueradeAll: o.masqueradeAll, clusterCIDR: o.clusterCIDR, nodePortAddresses: o.nodePortAddresses, ipFamilies });
    log.info({ ipFamilies }, 'nftables mode: one table per IP family');
  } else {
    const { UserspaceProxier } = await import('./userspace/proxier.js');
    userspace = new UserspaceProxier({ state, log, nodePortAddresses: o.nodePortAddresses });
  }
  let synced = false;
  let fullNext = false;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  const minSync = o.minSyncPeriodMs ?? 1000;
  const syncPeriod = o.syncPeriodMs ?? 30_000;
  const runner: BoundedRunner = new BoundedRunner(
    async () => {
      if (!synced) return;
      try {
        let result: SyncResult | undefined;
        if (iptables) {
          result = await iptables.sync();
          log.info({ full: result.full, services: result.services, rendered: result.rendered, endpoints: result.endpoints, bytes: result.bytes, ms: Math.round(result.totalMs) }, 'synced iptables rules');
        } else if (nftables) {
          result = await nftables.sync();
          log.info({ full: result.full, services: result.services, rendered: result.rendered, endpoints: result.endpoints, bytes: result.bytes, ms: Math.round(result.totalMs) }, 'synced nftables rules');
        } else {
          const full = fullNext;
          fullNext = false;
          const u = await userspace!.sync(full);
          log.debug(u, 'synced userspace listeners');
        }
        o.onSync?.({ ok: true, result });
        resolveReady();
      } catch (err) {
        log.error({ err: (err as Error).message }, 'sync failed; retrying');
        o.onSync?.({ ok: false, error: err as Error });
        runner.retryAfter(Math.min(syncPeriod, 5000));
      }
    },
    minSync,
    syncPeriod,
    () => {
      iptables?.periodic();
      nftables?.periodic();
      fullNext = true;
    },
  );
  const setService = (s: Service | undefined, key: string): void => {
    state.setService(s, key);
    runner.run();
  };
  services.addEventHandler({
    onAdd: (s) => setService(s, metaNamespaceKey(s)),
    onUpdate: (old, s) => {
      // Resyncs deliver the same object: nothing to re-render.
      if (old !== s) setService(s, metaNamespaceKey(s));
    },
    onDelete: (s) => setService(undefined, metaNamespaceKey(s)),
  });
  slices.addEventHandler({
    onAdd: (s) => {
      state.setSlice(s, false);
      runner.run();
    },
    onUpdate: (old, s) => {
      if (old === s) return;
      // A slice whose service label changed leaves the old service.
      if (old.metadata?.labels?.['kubernetes.io/service-name'] !== s.metadata?.labels?.['kubernetes.io/service-name']) state.setSlice(old, true);
      state.setSlice(s, false);
      runner.run();
    },
    onDelete: (s) => {
      state.setSlice(s, true);
      runner.run();
    },
  });
  log.info({ mode, nodeName, minSyncPeriodMs: minSync, syncPeriodMs: syncPeriod, clusterCIDR: o.clusterCIDR, masqueradeAll: !!o.masqueradeAll }, 'starting kube-proxy');
  factory.start();
  runner.start();
  const ac = new AbortController();
  void factory.waitForCacheSync(ac.signal).then((ok) => {
    if (!ok) return;
    synced = true;
    log.info({ services: state.services.size }, 'caches synced; writing rules');
    runner.run();
  });
  return {
    client,
    mode,
    nodeName,
    state,
    iptables,
    nftables,
    userspace,
    ready,
    async flush() {
      runner.run();
      await runner.idle();
    },
    async stop() {
      ac.abort();
      runner.stop();
      await nftables?.close();
      await factory.stop();
      userspace?.stop();
      client.close();
    },
  };
}
