import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { RestClient } from '../client/rest.js';
import { loadDefaultConfig, type ClientConfig } from '../client/kubeconfig.js';
import { LeaderElector } from '../client/leaderelection.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { parseConfiguration, parseDuration, type SchedulerConfiguration } from '../scheduler/config/profile.js';
import { progress } from './progress.js';
import { logger } from '../util/log.js';

const log = logger('scheduler');

// `k8ts scheduler`: kube-scheduler's flags (the ones k8ts honours), a
// KubeSchedulerConfiguration file, and leader election on the Lease
// kube-system/kube-scheduler so several replicas can run.

export interface SchedulerFlags {
  kubeconfig?: string;
  config?: string;
  leaderElect: boolean;
  leaderElectLeaseDuration: string;
  leaderElectRenewDeadline: string;
  leaderElectRetryPeriod: string;
  leaderElectResourceNamespace: string;
  leaderElectResourceName: string;
  kubeApiQps?: string;
  kubeApiBurst?: string;
}

export interface StartSchedulerOptions {
  /** Kubeconfig path, or a resolved client config (in-process use by `k8ts server`). */
  kubeconfig?: string;
  clientConfig?: ClientConfig;
  /** A KubeSchedulerConfiguration: a file path, YAML text, or the parsed object. */
  config?: string | SchedulerConfiguration;
  leaderElect?: boolean;
  qps?: number;
  burst?: number;
}

export interface RunningScheduler {
  scheduler: Scheduler;
  /** Resolves when the scheduler loop ends. */
  done: Promise<void>;
  stop(): Promise<void>;
}

function loadConfig(c: StartSchedulerOptions['config']): SchedulerConfiguration {
  if (!c) return {};
  if (typeof c !== 'string') return c;
  const text = c.includes('\n') || c.includes('kind:') ? c : readFileSync(c, 'utf8');
  return parseConfiguration(text);
}

export async function startScheduler(opts: StartSchedulerOptions = {}): Promise<RunningScheduler> {
  const cfg = loadConfig(opts.config);
  const clientConfig = opts.clientConfig ?? loadDefaultConfig({ kubeconfig: opts.kubeconfig ?? cfg.clientConnection?.kubeconfig });
  // Upstream's clientConnection defaults (50 qps, burst 100) unless configured.
  const qps = opts.qps ?? cfg.clientConnection?.qps ?? 50;
  const burst = opts.burst ?? cfg.clientConnection?.burst ?? 100;
  const client = new RestClient(clientConfig, { component: 'scheduler', qps, burst });
  const eventClient = new RestClient(clientConfig, { component: 'scheduler', qps, burst });
  const le = cfg.leaderElection ?? {};
  const leaderElect = opts.leaderElect ?? le.leaderElect ?? false;
  const ac = new AbortController();
  let elector: LeaderElector | undefined;
  const make = (lease?: LeaderElector): Scheduler => new Scheduler({ client, eventClient, config: cfg, mayBind: lease ? () => lease.holdsLease() : undefined });
  let current = make();
  let done: Promise<void>;
  if (leaderElect) {
    const identity = `${hostname()}_${randomUUID()}`;
    const stopped = new Promise<void>((r) => ac.signal.addEventListener('abort', () => r(), { once: true }));
    // One Scheduler per term: a lost lease stops it at once (it must not
    // bind another pod), then this replica campaigns again with a fresh one,
    // as upstream's process would after its restart.
    done = (async () => {
      while (!ac.signal.aborted) {
        let term: Promise<void> = Promise.resolve();
        const lease: LeaderElector = new LeaderElector(client, {
          namespace: le.resourceNamespace ?? 'kube-system',
          name: le.resourceName ?? 'kube-scheduler',
          identity,
          leaseDurationMs: parseDuration(le.leaseDuration, 15_000),
          renewDeadlineMs: parseDuration(le.renewDeadline, 10_000),
          retryPeriodMs: parseDuration(le.retryPeriod, 2_000),
          callbacks: {
            onStartedLeading: (signal) => {
              progress(`scheduler ${identity} is the leader`);
              signal.addEventListener('abort', () => void sched.stop(), { once: true });
              term = sched.run(ac.signal);
            },
          },
        });
        elector = lease;
        // This term's scheduler binds only while this term's lease holds.
        const sched = (current = make(lease));
        const campaign = lease.run();
        await Promise.race([campaign, stopped]);
        // Stopped before the lease is released, so a successor never overlaps with us.
        await sched.stop();
        await term;
        if (ac.signal.aborted) break;
        await campaign;
        log.warn({ identity }, 'leaderelection lost');
      }
    })();
  } else {
    done = current.run(ac.signal);
  }
  return {
    get scheduler() {
      return current;
    },
    done,
    async stop() {
      ac.abort();
      await current.stop();
      await done;
      await elector?.stop();
      client.close();
      eventClient.close();
    },
  };
}

export function addSchedulerCommand(program: Command): Command {
  return program
    .command('scheduler')
    .description('run the scheduler (kube-scheduler): assigns pending pods to nodes')
    .option('--kubeconfig <path>', 'kubeconfig of the API server (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--config <path>', 'KubeSchedulerConfiguration file (profiles, plugins, pluginConfig, percentageOfNodesToScore)')
    .option('--leader-elect [bool]', 'take the lease before scheduling, so only one replica is active', (v) => v !== 'false', true)
    .option('--leader-elect-lease-duration <d>', 'how long non-leaders wait before taking over', '15s')
    .option('--leader-elect-renew-deadline <d>', 'how long the leader retries renewing before giving up', '10s')
    .option('--leader-elect-retry-period <d>', 'pause between attempts to take or renew the lease', '2s')
    .option('--leader-elect-resource-namespace <ns>', 'namespace of the Lease', 'kube-system')
    .option('--leader-elect-resource-name <name>', 'name of the Lease', 'kube-scheduler')
    .option('--kube-api-qps <n>', 'client-side request rate limit to the API server (default 50)')
    .option('--kube-api-burst <n>', 'client-side burst above the rate limit (default 100)')
    .action(async (flags: SchedulerFlags) => {
      const fileCfg = loadConfig(flags.config);
      const cfg: SchedulerConfiguration = {
        ...fileCfg,
        leaderElection: {
          leaseDuration: flags.leaderElectLeaseDuration,
          renewDeadline: flags.leaderElectRenewDeadline,
          retryPeriod: flags.leaderElectRetryPeriod,
          resourceNamespace: flags.leaderElectResourceNamespace,
          resourceName: flags.leaderElectResourceName,
          ...fileCfg.leaderElection,
        },
      };
      const running = await startScheduler({
        kubeconfig: flags.kubeconfig,
        config: cfg,
        leaderElect: flags.leaderElect,
        qps: flags.kubeApiQps ? Number(flags.kubeApiQps) : undefined,
        burst: flags.kubeApiBurst ? Number(flags.kubeApiBurst) : undefined,
      });
      progress('scheduler is running');
      let stopping = false;
      const stop = (sig: string) => {
        if (stopping) process.exit(1);
        stopping = true;
        progress(`${sig}: stopping scheduler`);
        running.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      await running.done;
    });
}
