import { mkdir } from 'node:fs/promises';
import { EventRecorder } from '../client/events/recorder.js';
import { LABEL_POD_UID } from '../runtime/interface.js';
import { logger } from '../util/log.js';
import type { Pod } from './api-types.js';
import type { KubeletContext } from './context.js';
import * as ev from './events.js';
import { kubeletNodeFacts, NodeAgent } from './node/agent.js';
import { defaultNodeIP, filesystemBytes, machineInfo } from './node/machine.js';
import { resources, type NodeFacts } from './node/node-object.js';
import type { KubeletOptions } from './options.js';
import { Pleg } from './pod/pleg.js';
import { informerPodSource, type PodSubscription } from './pod/source.js';
import { StatusManager } from './pod/status-manager.js';
import { killPod, removePod } from './pod/terminate.js';
import { PodWorkers } from './pod/workers.js';
import { ProberManager } from './prober/manager.js';
import { startKubeletServer, type KubeletServer, type ContainerLookup } from './server/server.js';
import { statsRoutes } from './server/stats.js';
import { StaticPodFileSource } from './static/file-source.js';
import { ANNOTATION_CONFIG_SOURCE, isMirrorPod } from './static/manifest.js';
import { MirrorPods } from './static/mirror-pods.js';
import { Backoff } from './util/backoff.js';
import { defaultTicker, type TickerRegistration } from './util/ticker.js';
import { DEFAULT_PLUGINS, VolumeManager } from './volumes/manager.js';
import { ServiceAccountTokenManager } from './volumes/token-manager.js';
import { WatchedObjects } from './volumes/watched-objects.js';
import { Informer } from '../client/informer.js';
import type { ServiceLister } from './pod/service-env.js';

const SERVICES = { group: '', version: 'v1', resource: 'services', namespaced: true };
import { startLocalPathProvisioner } from './volumes/local-path-provisioner.js';
import { join } from 'node:path';

// The kubelet: registers its Node and keeps it and its Lease fresh, runs
// the pods bound to it (from the API) and the static pods of its manifest
// directory through per-pod workers, and serves container logs. Per-node
// cost with a shared pod source, recorder and ticker: a few maps, one PLEG
// relist and two API writes (lease, status) per period; no timers of its
// own besides probe loops and pod back-off wake-ups.

export type { KubeletOptions } from './options.js';

export interface RunningKubelet {
  nodeName: string;
  /** The port the kubelet server listens on (0 when it runs none). */
  port: number;
  stop(): Promise<void>;
}

function plainPodNotFound(ns: string, name: string): { status: number; message: string } {
  return { status: 404, message: `pod "${name}" not found in namespace "${ns}"` };
}

export async function startKubelet(opts: KubeletOptions): Promise<RunningKubelet> {
  const log = logger('kubelet').child({ node: opts.nodeName });
  const version = await opts.runtime.version();
  await mkdir(opts.rootDir, { recursive: true });
  const machine = await machineInfo();
  const storageBytes = await filesystemBytes(opts.rootDir);
  const address = opts.address ?? defaultNodeIP();
  const ownRecorder = !opts.recorder;
  const recorder = opts.recorder ?? new EventRecorder(opts.client, { component: 'kubelet', host: opts.nodeName });
  const ticker = opts.ticker ?? defaultTicker;
  const lightweight = opts.lightweight ?? version.runtimeName === 'fake';
  const crash = opts.crashLoopBackOff ?? {};
  const img = opts.imageBackOff ?? {};

  let facts: NodeFacts = kubeletNodeFacts(opts, { machine, storageBytes, runtime: version, address });
  const alloc = resources(facts).allocatable;
  // Workers need the context and the context forwards probe results to workers.
  const late: { workers?: PodWorkers } = {};
  const volumeHost = {
    client: opts.client,
    nodeName: opts.nodeName,
    nodeIPs: [address],
    recorder,
    log,
    lightweight,
    allocatable: { cpu: alloc.cpu!, memory: alloc.memory!, 'ephemeral-storage': alloc['ephemeral-storage'] },
    tokens: new ServiceAccountTokenManager(opts.client),
    objects: opts.objects ?? new WatchedObjects(opts.client),
  };
  let serviceInformer: Informer | undefined;
  if (!opts.services && !lightweight) {
    serviceInformer = new Informer(opts.client, SERVICES);
    serviceInformer.start();
  }
  const services: ServiceLister | undefined = opts.services ?? (serviceInformer && { list: () => serviceInformer!.store.list(), hasSynced: () => serviceInformer!.hasSynced() });
  const ctx: KubeletContext = {
    services,
    nodeName: opts.nodeName,
    nodeIPs: [address],
    client: opts.client,
    runtime: opts.runtime,
    runtimeName: version.runtimeName,
    rootDir: opts.rootDir,
    recorder,
    log,
    crashBackoff: new Backoff({ initialMs: crash.initialMs ?? 10_000, maxMs: crash.maxMs ?? 300_000, resetAfterMs: crash.resetAfterMs }),
    imageBackoff: new Backoff({ initialMs: img.initialMs ?? 10_000, maxMs: img.maxMs ?? 300_000, resetAfterMs: img.resetAfterMs }),
    volumes: new VolumeManager(volumeHost, opts.rootDir, opts.volumePlugins ?? DEFAULT_PLUGINS, opts.syncFrequency ?? 60_000),
    lightweight,
    allocatable: volumeHost.allocatable,
    requestSync: (uid) => late.workers?.sync(uid),
    dns: lightweight ? undefined : { clusterDNS: opts.clusterDNS ?? [], clusterDomain: opts.clusterDomain ?? '', resolvConf: opts.resolvConf ?? '/etc/resolv.conf', nodeIPs: [address] },
  };

  const prober = new ProberManager(ctx);
  const statusManager = new StatusManager(ctx);
  const agent =
    opts.nodeAgent ??
    new NodeAgent(ctx, facts, {
      ticker,
      statusUpdateMs: opts.nodeStatusUpdateFrequency ?? 10_000,
      statusReportMs: opts.nodeStatusReportFrequency ?? 300_000,
      leaseDurationSeconds: opts.nodeLeaseDurationSeconds ?? 40,
      // Upstream renews at a quarter of the lease's duration (NodeLeaseRenewIntervalFraction): 10 s for 40 s.
      leaseRenewMs: opts.leaseRenewInterval ?? (opts.nodeLeaseDurationSeconds ?? 40) * 250,
    });
  const reporter = agent.reporter;
  const mirrors = new MirrorPods(ctx, () => reporter.nodeUID);
  const isStatic = (p: Pod): boolean => p.metadata.annotations?.[ANNOTATION_CONFIG_SOURCE] === 'file';
  const workers = new PodWorkers(ctx, prober, statusManager, { statusTarget: (p) => (isStatic(p) ? mirrors.mirrorOf(p) : p), isStatic, onGone: () => undefined }, opts.syncFrequency ?? 60_000);
  late.workers = workers;

  let server: KubeletServer | undefined;
  if (opts.kubeletPort !== null) {
    const lookup: ContainerLookup = async (ns, name, container, previous) => {
      const pod = workers.pods().find((p) => p.metadata.namespace === ns && p.metadata.name === name);
      if (!pod) return plainPodNotFound(ns, name);
      const spec = [...pod.spec.containers, ...(pod.spec.initContainers ?? []), ...(pod.spec.ephemeralContainers ?? [])].find((c) => c.name === container);
      if (!spec) return { status: 400, message: `container ${container} is not valid for pod ${name}` };
      const all = (await opts.runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: pod.metadata.uid! } })).filter((c) => c.metadata.name === container);
      all.sort((a, b) => b.metadata.attempt - a.metadata.attempt || b.createdAt - a.createdAt);
      const pick = previous ? all[1] : all[0];
      if (pick) return { id: pick.id };
      if (previous) return { status: 400, message: `previous terminated container "${container}" in pod "${name}" not found` };
      const st = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])].find((s) => s.name === container);
      const reason = st?.state?.waiting?.reason ?? ev.ContainerCreating;
      return { status: 400, message: `container "${container}" in pod "${name}" is waiting to start: ${reason}` };
    };
    const stats = statsRoutes({ nodeName: opts.nodeName, runtime: opts.runtime, pods: () => workers.pods(), synthetic: version.runtimeName === 'fake' });
    server = await startKubeletServer({ address, port: opts.kubeletPort ?? 10250, runtime: opts.runtime, lookup, pods: () => workers.pods(), tls: opts.tls, log, stats });
    facts = { ...facts, kubeletPort: server.port };
  }

  const regs: TickerRegistration[] = [];
  agent.facts = facts;
  agent.afterStatus = () => void mirrors.reconcile();
  // A handed-over agent (a hollow node's first pod) keeps ticking: no restart to announce.
  agent.start();
  // Upstream's fastStatusUpdateOnce: while the runtime waits for the Node's podCIDR (node IPAM sets it
  // just after registration), look every 100 ms instead of every nodeStatusUpdateFrequency, so the node
  // turns Ready as soon as its pod network can be built.
  let stopped = false;
  const fastStatusUpdate = async (): Promise<void> => {
    while (!stopped) {
      const network = (await opts.runtime.status?.().catch(() => undefined))?.conditions.find((c) => c.type === 'NetworkReady');
      await reporter.tick();
      if (!network || network.status) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  if (opts.runtime.updatePodCIDR) void fastStatusUpdate();

  // Static pods: the file is the source of truth, with or without an API server.
  let staticSeen = !opts.podManifestPath;
  let staticUIDs = new Set<string>();
  let fileSource: StaticPodFileSource | undefined;
  if (opts.podManifestPath) {
    fileSource = new StaticPodFileSource(
      opts.podManifestPath,
      opts.nodeName,
      {
        onPods: (pods) => {
          const next = new Set(pods.map((p) => p.metadata.uid!));
          for (const uid of staticUIDs) if (!next.has(uid)) workers.remove(uid);
          for (const p of pods) workers.update(p);
          staticUIDs = next;
          staticSeen = true;
          mirrors.setStatic(pods);
        },
        onError: (file, message) => {
          log.error({ file, err: message }, 'could not process manifest file');
          recorder.event(reporter.ref, 'Warning', ev.FailedValidation, `Could not process manifest file "${file}": ${message}`);
        },
      },
      opts.fileCheckFrequency ?? 20_000,
    );
    fileSource.start();
  }

  const source = opts.podSource ?? informerPodSource(opts.client);
  const sub: PodSubscription = source.subscribe(opts.nodeName, {
    onUpsert: (p) => {
      if (isMirrorPod(p)) mirrors.mirrorChanged(p, false);
      else if (p.spec?.nodeName === opts.nodeName) workers.update(p);
    },
    onDelete: (p) => {
      if (isMirrorPod(p)) mirrors.mirrorChanged(p, true);
      else workers.remove(p.metadata.uid!);
    },
  });
  let apiSynced = false;
  void sub.synced().then((ok) => (apiSynced = ok));

  // Runtime pods no source wants (deleted while the kubelet was away) are killed once both sources have spoken.
  const cleaning = new Set<string>();
  const cleanOrphan = async (uid: string): Promise<void> => {
    cleaning.add(uid);
    try {
      const stub: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { uid, name: uid, namespace: 'default' }, spec: { containers: [], terminationGracePeriodSeconds: 30 } };
      await killPod(ctx, stub);
      await removePod(ctx, uid);
      log.info({ uid }, 'removed orphaned pod from the runtime');
    } catch (err) {
      log.warn({ uid, err: (err as Error).message }, 'failed to remove orphaned pod');
    } finally {
      cleaning.delete(uid);
    }
  };
  const localPath = (opts.localPathProvisioner ?? !lightweight) ? startLocalPathProvisioner({ client: opts.localPathClient ?? opts.client, nodeName: opts.nodeName, dataDir: join(opts.rootDir, 'storage'), log }) : undefined;
  const pleg = new Pleg(opts.runtime, opts.nodeName, (uid) => workers.sync(uid));
  const relist = async (): Promise<void> => {
    try {
      const uids = await pleg.relist();
      if (!uids || !apiSynced || !staticSeen) return;
      for (const uid of uids) if (!workers.has(uid) && !cleaning.has(uid)) void cleanOrphan(uid);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'PLEG relist failed');
    }
  };
  regs.push(ticker.every(opts.plegRelistPeriod ?? 1000, () => void relist()));
  log.info({ runtime: facts.runtimeVersion, port: facts.kubeletPort, address }, 'kubelet started');

  return {
    nodeName: opts.nodeName,
    port: facts.kubeletPort,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const r of regs) r.stop();
      agent.stop();
      fileSource?.stop();
      mirrors.stop();
      await sub.stop();
      await serviceInformer?.stop();
      workers.stop();
      prober.stop();
      await localPath?.stop();
      if (!opts.objects) await volumeHost.objects.stop();
      await server?.close();
      if (ownRecorder) await recorder.shutdown();
      log.info('kubelet stopped');
    },
  };
}
