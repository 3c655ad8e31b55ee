import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { RestClient } from '../client/rest.js';
import { InformerFactory } from '../client/informer-factory.js';
import { LeaderElector } from '../client/leaderelection.js';
import { EventRecorder } from '../client/events/recorder.js';
import { logger } from '../util/log.js';
import { ServiceAccountCredentials } from './credentials.js';
import type { ControllerContext, ControllerDescriptor, ControllerManagerOptions, RunningController } from './types.js';
import { defaultControllerManagerOptions } from './options.js';
import { allControllers } from './index.js';

export { defaultControllerManagerOptions } from './options.js';

// kube-controller-manager: one process, many controllers, only one process
// in the cluster acting at a time. The Lease kube-system/kube-controller-manager
// decides who; the leader builds one informer factory shared by every
// controller. Upstream exits the process when leadership is lost; in-process
// we stop every controller and its informers instead, then campaign again.

const log = logger('controller-manager');

export interface ControllerManagerConfig {
  client: RestClient;
  options?: ControllerManagerOptions;
  /** Upstream --controllers: "*" (all on by default), "foo" (enable), "-foo" (disable). Default ["*"]. */
  controllers?: string[];
  /** Upstream --leader-elect (default true). */
  leaderElect?: boolean;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  leaseNamespace?: string;
  leaseName?: string;
  /** Holder identity in the Lease; upstream uses hostname_uuid. */
  identity?: string;
  /** Give up the lease on stop so a successor need not wait it out (default true; false simulates a crash). */
  releaseOnCancel?: boolean;
  /** The controllers to choose from (default: every registered one). */
  registry?: ControllerDescriptor[];
  /** Upstream --use-service-account-credentials: each controller writes as its own kube-system service account (default false). */
  useServiceAccountCredentials?: boolean;
}

export interface RunningControllerManager {
  readonly identity: string;
  isLeader(): boolean;
  /** Names of the controllers running now (empty when not leading). */
  runningControllers(): string[];
  stop(): Promise<void>;
}

/** Upstream's controller names beside their short aliases (both are accepted by --controllers). */
export const CONTROLLER_ALIASES: Readonly<Record<string, string>> = {
  namespace: 'namespace-controller',
  garbagecollector: 'garbage-collector-controller',
  serviceaccount: 'serviceaccount-controller',
  nodelifecycle: 'node-lifecycle-controller',
  nodeipam: 'node-ipam-controller',
  endpoint: 'endpoints-controller',
  endpointslice: 'endpointslice-controller',
  podgc: 'pod-garbage-collector-controller',
  replicaset: 'replicaset-controller',
  deployment: 'deployment-controller',
  daemonset: 'daemonset-controller',
  job: 'job-controller',
  cronjob: 'cronjob-controller',
  disruption: 'disruption-controller',
  statefulset: 'statefulset-controller',
  replicationcontroller: 'replicationcontroller-controller',
  tokencleaner: 'token-cleaner-controller',
};

function namesOf(d: ControllerDescriptor): string[] {
  const canonical = CONTROLLER_ALIASES[d.name];
  const alias = Object.keys(CONTROLLER_ALIASES).find((a) => CONTROLLER_ALIASES[a] === d.name);
  return [d.name, canonical, alias].filter((x): x is string => !!x);
}

/** The descriptors --controllers selects, as upstream's IsControllerEnabled (explicit choice first, then "*"). */
export function selectControllers(registry: ControllerDescriptor[], controllers: string[] = ['*']): ControllerDescriptor[] {
  const known = new Set(registry.flatMap(namesOf));
  for (const c of controllers) {
    const name = c.startsWith('-') ? c.slice(1) : c;
    if (c !== '*' && !known.has(name)) throw new Error(`${JSON.stringify(name)} is not in the list of known controllers`);
  }
  return registry.filter((d) => {
    const names = namesOf(d);
    let star = false;
    for (const c of controllers) {
      if (names.includes(c)) return true;
      if (c.startsWith('-') && names.includes(c.slice(1))) return false;
      if (c === '*') star = true;
    }
    return star;
  });
}

export function defaultIdentity(): string {
  return `${hostname()}_${randomUUID()}`;
}

/** Runs the selected controllers until `signal` aborts, then stops them and their informers. */
async function runControllers(
  client: RestClient,
  options: ControllerManagerOptions,
  enabled: ControllerDescriptor[],
  running: Map<string, RunningController>,
  signal: AbortSignal,
  useServiceAccountCredentials: boolean,
): Promise<void> {
  const informers = new InformerFactory(client);
  // Started first: informers asked for later start at once, so a controller may wait for its caches inside start().
  informers.start();
  const recorders = new Map<string, EventRecorder>();
  const creds = useServiceAccountCredentials ? new ServiceAccountCredentials(client) : undefined;
  const contextFor = (writer: RestClient): ControllerContext => ({
    client: writer,
    informers,
    options,
    recorder(component) {
      let r = recorders.get(component);
      if (!r) recorders.set(component, (r = new EventRecorder(writer, { component })));
      return r;
    },
  });
  // All at once, as upstream's controllers each start in a goroutine and wait for their own caches:
  // one after another, a new leader's start-up was the sum of every controller's credentials and cache syncs.
  await Promise.all(
    enabled.map(async (d) => {
      if (signal.aborted) return;
      try {
        const writer = creds ? await creds.clientFor(d.name) : client;
        running.set(d.name, await d.start(contextFor(writer)));
        log.info({ controller: d.name }, 'started controller');
      } catch (err) {
        log.error({ controller: d.name, err }, 'error starting controller');
      }
    }),
  );
  if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  const stopping = [...running.entries()].reverse();
  running.clear();
  await Promise.all(
    stopping.map(async ([name, c]) => {
      try {
        await c.stop();
      } catch (err) {
        log.error({ controller: name, err }, 'error stopping controller');
      }
    }),
  );
  await informers.stop();
  await Promise.all([...recorders.values()].map((r) => r.shutdown()));
  creds?.close();
}

export async function startControllerManager(cfg: ControllerManagerConfig): Promise<RunningControllerManager> {
  const options = cfg.options ?? defaultControllerManagerOptions();
  const enabled = selectControllers(cfg.registry ?? allControllers(), cfg.controllers ?? ['*']);
  const identity = cfg.identity ?? defaultIdentity();
  const stopAc = new AbortController();
  const running = new Map<string, RunningController>();
  let leading = false;
  let elector: LeaderElector | undefined;
  let session: Promise<void> | undefined;

  const lead = (leaseSignal: AbortSignal | undefined): Promise<void> => {
    const ac = new AbortController();
    const abort = (): void => ac.abort();
    stopAc.signal.addEventListener('abort', abort, { once: true });
    leaseSignal?.addEventListener('abort', abort, { once: true });
    if (leaseSignal?.aborted) ac.abort();
    leading = true;
    session = runControllers(cfg.client, options, enabled, running, ac.signal, cfg.useServiceAccountCredentials ?? false).finally(() => {
      leading = false;
      stopAc.signal.removeEventListener('abort', abort);
    });
    return session;
  };

  let loop: Promise<void>;
  if (cfg.leaderElect === false) {
    loop = lead(undefined);
  } else {
    const stopped = new Promise<void>((r) => stopAc.signal.addEventListener('abort', () => r(), { once: true }));
    loop = (async () => {
      while (!stopAc.signal.aborted) {
        elector = new LeaderElector(cfg.client, {
          namespace: cfg.leaseNamespace ?? 'kube-system',
          name: cfg.leaseName ?? 'kube-controller-manager',
          identity,
          leaseDurationMs: cfg.leaseDurationMs ?? 15_000,
          renewDeadlineMs: cfg.renewDeadlineMs ?? 10_000,
          retryPeriodMs: cfg.retryPeriodMs ?? 2_000,
          releaseOnCancel: cfg.releaseOnCancel ?? true,
          callbacks: {
            onStartedLeading: (signal) => void lead(signal),
            onNewLeader: (id) => log.info({ leader: id, identity }, 'new leader elected'),
          },
        });
        const campaign = elector.run();
        // Controllers stop before the lease is released, so a successor never overlaps with us.
        await Promise.race([campaign, stopped]);
        await session;
        if (stopAc.signal.aborted) {
          await elector.stop();
          break;
        }
        await campaign;
        log.warn({ identity }, 'leaderelection lost');
      }
    })();
  }

  return {
    identity,
    isLeader: () => leading,
    runningControllers: () => [...running.keys()],
    async stop() {
      stopAc.abort();
      await loop;
      await session;
    },
  };
}
