// The `kubernetes` Service in `default` and its endpoints, kept by every API
// server as upstream's kubernetesservice controller with
// --endpoint-reconciler-type=lease: each server renews a short-lived key
// /registry/masterleases/<its address> and writes the Endpoints as the set
// of live leases, so a server that dies drops out when its lease expires and
// one that stops removes itself at once.

import type { Store } from '../../storage/interface.js';
import { isStorageError } from '../../storage/errors.js';
import type { Registry } from '../handlers/context.js';
import { ensureService, writeEndpoints } from './selectorless.js';
import { logger } from '../../util/log.js';
import { isLoopback } from '../../util/resolv-conf.js';

const log = logger('apiserver');

const LEASE_PREFIX = '/registry/masterleases/';

export interface KubernetesServiceOptions {
  /** The address other components reach this server at (upstream --advertise-address). */
  advertiseAddress: string;
  /** The secure port the Service's 443 forwards to. */
  port: number;
  /** The first address of --service-cluster-ip-range. */
  clusterIP: string;
  /** Upstream's masterEndpointReconcileTTL: 15 s. */
  leaseTTLSeconds?: number;
  /** Upstream's EndpointInterval: 10 s. */
  intervalMs?: number;
}

export interface KubernetesServiceController {
  /** Removes this server from the endpoints (a clean shutdown). */
  stop(): Promise<void>;
  /** One reconcile now (tests). */
  reconcile(): Promise<void>;
}

export async function startKubernetesService(registry: Registry, store: Store, o: KubernetesServiceOptions): Promise<KubernetesServiceController> {
  const ttl = o.leaseTTLSeconds ?? 15;
  if (isLoopback(o.advertiseAddress)) log.warn({ address: o.advertiseAddress }, 'the advertise address is loopback: the kubernetes Service gets no endpoint for this server (set --advertise-address)');
  const ports = [{ name: 'https', port: o.port, protocol: 'TCP' as const }];
  const leaseKey = LEASE_PREFIX + o.advertiseAddress;
  await ensureService(registry, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP: o.clusterIP, sessionAffinity: 'None', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: o.port }] },
  });

  const renewLease = async (): Promise<void> => {
    // The value changes on every renewal: an unchanged write is skipped and would not extend the TTL.
    const value = JSON.stringify({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: o.advertiseAddress }, subsets: [{ addresses: [{ ip: o.advertiseAddress }], ports }], renewTime: new Date().toISOString() });
    try {
      await store.create(leaseKey, value, { ttlSeconds: ttl });
    } catch (err) {
      if (!isStorageError(err, 'KeyExists')) throw err;
      await store.guaranteedUpdate(leaseKey, () => value, { ttlSeconds: ttl });
    }
  };

  const liveAddresses = async (): Promise<string[]> => {
    const page = await store.list(LEASE_PREFIX);
    // A loopback address is no endpoint (validation refuses it): a server advertising one is left out.
    return page.items.map((kv) => kv.key.slice(LEASE_PREFIX.length)).filter((ip) => !isLoopback(ip));
  };

  let stopped = false;
  const reconcile = async (): Promise<void> => {
    if (stopped) return;
    await renewLease();
    await writeEndpoints(registry, 'default', 'kubernetes', await liveAddresses(), ports);
  };
  await reconcile();
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = reconcile().catch((err) => log.warn({ err: (err as Error).message }, 'reconciling the kubernetes service endpoints failed'));
  }, o.intervalMs ?? 10_000);
  timer.unref();
  return {
    reconcile,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      try {
        await store.delete(leaseKey);
      } catch (err) {
        if (!isStorageError(err, 'NotFound')) throw err;
      }
      try {
        await writeEndpoints(registry, 'default', 'kubernetes', await liveAddresses(), ports);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'removing this server from the kubernetes service endpoints failed');
      }
    },
  };
}
