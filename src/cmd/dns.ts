import type { Command } from 'commander';
import { RestClient } from '../client/rest.js';
import { embeddedClientConfig, DNS } from './identities.js';
import type { RunningControlPlane } from './server.js';
import { progress } from './progress.js';
import { IPRange } from '../apiserver/registry/service/ranges.js';
import { ensureService, writeEndpoints } from '../apiserver/controlplane/selectorless.js';
import { defaultNodeIP } from '../kubelet/node/machine.js';
import { isLoopback } from '../util/resolv-conf.js';
import { logger } from '../util/log.js';

const log = logger('dns');

// The cluster DNS inside `k8ts server` (CoreDNS's place in an upstream
// cluster): it listens on the node's address, and the server keeps the
// kube-system/kube-dns Service (the range's 10th address) without a
// selector, its endpoints pointing at that address and port, so the proxy
// carries the well-known ClusterIP to it.

export interface DnsFlags {
  disableDns?: boolean;
  clusterDomain: string;
  dnsPort: string;
  dnsAddress?: string;
  serviceClusterIpRange: string;
}

export function addDnsFlags(cmd: Command): Command {
  return cmd
    .option('--disable-dns', 'do not run the cluster DNS (pods with dnsPolicy ClusterFirst then fall back to the host\'s resolver)')
    .option('--cluster-domain <domain>', 'the cluster\'s DNS domain (upstream kubelet --cluster-domain)', 'cluster.local')
    .option('--dns-port <n>', 'port of the cluster DNS: auto is 53 when root and free, else any free port', 'auto')
    .option('--dns-address <ip>', 'address the cluster DNS listens on (default: the node\'s address)');
}

export interface RunningDnsAddon {
  /** kube-dns's ClusterIP: the kubelet's --cluster-dns. */
  clusterIP: string;
  clusterDomain: string;
  address: string;
  port: number;
  stop(): Promise<void>;
}

export async function startDnsAddon(cp: RunningControlPlane, flags: DnsFlags): Promise<RunningDnsAddon> {
  const { startClusterDns } = await import('../dns/index.js');
  const client = new RestClient(await embeddedClientConfig(cp, DNS), { component: 'k8ts-dns' });
  const address = flags.dnsAddress ?? defaultNodeIP();
  const clusterDomain = flags.clusterDomain;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  let dns;
  if (flags.dnsPort === 'auto') {
    try {
      dns = await startClusterDns({ client, address, port: root ? 53 : 0, clusterDomain });
    } catch (err) {
      if (!root) throw err;
      progress(`cluster DNS: port 53 on ${address} is taken (${(err as Error).message}); using a free port`);
      dns = await startClusterDns({ client, address, port: 0, clusterDomain });
    }
  } else {
    dns = await startClusterDns({ client, address, port: Number(flags.dnsPort), clusterDomain });
  }
  const clusterIP = new IPRange(flags.serviceClusterIpRange).nth(10);
  const registry = cp.api.registry;
  await ensureService(registry, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' } },
    spec: {
      type: 'ClusterIP',
      clusterIP,
      sessionAffinity: 'None',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: dns.port },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: dns.port },
      ],
    },
  });
  // A loopback address cannot be an endpoint (validation refuses it, as upstream's): kube-dns then has none.
  const keepEndpoints = () =>
    writeEndpoints(registry, 'kube-system', 'kube-dns', isLoopback(address) ? [] : [address], [
      { name: 'dns', port: dns.port, protocol: 'UDP' },
      { name: 'dns-tcp', port: dns.port, protocol: 'TCP' },
    ]);
  await keepEndpoints();
  // Kept, not just written: an edited or deleted Endpoints object comes back within the interval (a no-op write otherwise).
  const timer = setInterval(() => keepEndpoints().catch((err) => log.warn({ err: (err as Error).message }, 'keeping the kube-dns endpoints failed')), 10_000);
  timer.unref();
  progress(`cluster DNS for ${clusterDomain} listening on ${address}:${dns.port} (UDP and TCP), Service kube-system/kube-dns ${clusterIP}`);
  return {
    clusterIP,
    clusterDomain,
    address,
    port: dns.port,
    async stop() {
      clearInterval(timer);
      await dns.close();
      client.close();
    },
  };
}
