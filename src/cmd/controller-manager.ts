import { join } from 'node:path';
import type { Command } from 'commander';
import { RestClient } from '../client/rest.js';
import { startControllerManager, type RunningControllerManager } from '../controllers/manager.js';
import { DEFAULT_CONCURRENT_SYNCS, DEFAULT_EXTRA, defaultControllerManagerOptions, parseDurationSeconds, parseGoDuration } from '../controllers/options.js';
import type { ControllerManagerOptions } from '../controllers/types.js';
import { DEFAULT_HPA_EXTRA } from '../controllers/podautoscaler/controller.js';
import { progress } from './progress.js';
import { DEFAULT_CLUSTER_SIGNING_DURATION } from '../controllers/certificates/signer.js';
import { NODE_IPAM_DEFAULTS } from '../controllers/nodeipam/controller.js';
import { CidrSet } from '../controllers/nodeipam/cidrset.js';

export { startControllerManager } from '../controllers/manager.js';
export type { ControllerManagerConfig, RunningControllerManager } from '../controllers/manager.js';

// `k8ts controller-manager`: kube-controller-manager's flags, names and
// defaults as upstream 1.32 (durations in Go syntax: 40s, 1m30s).

export type ControllerManagerFlags = Record<string, string | boolean | undefined>;

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function parseBool(v: string): boolean {
  if (/^(true|1|t)$/i.test(v)) return true;
  if (/^(false|0|f)$/i.test(v)) return false;
  throw new Error(`invalid boolean value ${JSON.stringify(v)}`);
}

/** The controller-manager flags, for `k8ts controller-manager` and for `k8ts server` to reuse. */
export function addControllerManagerFlags(cmd: Command, ipam: { allocateNodeCidrs: boolean } = { allocateNodeCidrs: false }): Command {
  const d = defaultControllerManagerOptions();
  // `k8ts server` has kube-proxy's --cluster-cidr already: one range, read by both (its default applies to IPAM only).
  if (!cmd.options.some((o) => o.long === '--cluster-cidr')) cmd.option('--cluster-cidr <cidr>', 'CIDR range of the cluster\'s pods, cut into one subnet per node');
  cmd
    .option('--allocate-node-cidrs [bool]', 'give every Node a spec.podCIDR from --cluster-cidr (node-ipam-controller)', parseBool, ipam.allocateNodeCidrs)
    .option('--node-cidr-mask-size <n>', 'prefix length of each node\'s podCIDR', NODE_IPAM_DEFAULTS['node-cidr-mask-size'])
    .option('--kubeconfig <path>', 'path to a kubeconfig (default: $KUBECONFIG, else <data-dir>/kubeconfig.yaml)')
    .option('--controllers <list>', 'controllers to enable: "*" for all on by default, "foo" to enable, "-foo" to disable', '*')
    .option('--leader-elect [bool]', 'take the kube-system/kube-controller-manager Lease before running controllers', parseBool, true)
    .option('--leader-elect-lease-duration <duration>', 'how long a non-leader waits after the last renewal before taking over', '15s')
    .option('--leader-elect-renew-deadline <duration>', 'how long the leader keeps trying to renew before stepping down', '10s')
    .option('--leader-elect-retry-period <duration>', 'pause between acquisition and renewal attempts', '2s')
    .option('--leader-elect-resource-name <name>', 'name of the lock Lease', 'kube-controller-manager')
    .option('--leader-elect-resource-namespace <ns>', 'namespace of the lock Lease', 'kube-system')
    .option('--node-monitor-grace-period <duration>', 'silence after which a node is marked unhealthy', `${d.nodeMonitorGracePeriod}s`)
    .option('--node-monitor-period <duration>', 'how often node health is checked', `${d.nodeMonitorPeriod}s`)
    .option('--node-startup-grace-period <duration>', 'silence allowed to a node that never reported before it is marked unhealthy', DEFAULT_EXTRA['node-startup-grace-period'])
    .option('--node-eviction-rate <qps>', 'nodes per second tainted for eviction in a healthy zone', String(d.nodeEvictionRate))
    .option('--secondary-node-eviction-rate <qps>', 'nodes per second tainted for eviction in an unhealthy zone of a large cluster', String(d.secondaryNodeEvictionRate))
    .option('--unhealthy-zone-threshold <fraction>', 'fraction of not-ready nodes (at least 3) that makes a zone unhealthy', String(d.unhealthyZoneThreshold))
    .option('--large-cluster-size-threshold <n>', 'zone size above which the secondary eviction rate applies (else 0)', String(d.largeClusterSizeThreshold))
    .option('--terminated-pod-gc-threshold <n>', 'terminated pods kept before the oldest are deleted (0 disables)', String(d.terminatedPodGcThreshold))
    .option('--namespace-sync-period <duration>', 'how often namespaces are re-examined', DEFAULT_EXTRA['namespace-sync-period'])
    .option('--max-endpoints-per-slice <n>', 'endpoints per EndpointSlice', DEFAULT_EXTRA['max-endpoints-per-slice'])
    .option('--use-service-account-credentials [bool]', 'run each controller as its own kube-system service account (its system:controller:* role)', parseBool, false)
    .option('--root-ca-file <path>', 'the cluster CA, published to every namespace as ConfigMap kube-root-ca.crt')
    .option('--cluster-signing-cert-file <path>', 'CA certificate the csrsigning controller issues cluster certificates with (k8ts server: DIR/pki/ca.crt)')
    .option('--cluster-signing-key-file <path>', 'key of --cluster-signing-cert-file')
    .option('--cluster-signing-duration <duration>', 'longest validity of the certificates csrsigning issues', DEFAULT_CLUSTER_SIGNING_DURATION)
    .option('--kube-api-qps <qps>', 'requests per second to the API server', '20')
    .option('--kube-api-burst <n>', 'burst of requests to the API server', '30');
  for (const [name, v] of Object.entries(DEFAULT_HPA_EXTRA)) cmd.option(`--${name} <${name.endsWith('tolerance') ? 'fraction' : 'duration'}>`, `HPA: ${name.replace('horizontal-pod-autoscaler-', '')} (upstream's flag)`, v);
  for (const [stem, n] of Object.entries(DEFAULT_CONCURRENT_SYNCS)) cmd.option(`--concurrent-${stem}-syncs <n>`, `workers of the ${stem} controller`, String(n));
  return cmd;
}

function num(flags: ControllerManagerFlags, name: string): number {
  const v = flags[camel(name)];
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name} must be a number, not ${JSON.stringify(v)}`);
  return n;
}

function str(flags: ControllerManagerFlags, name: string): string {
  const v = flags[camel(name)];
  if (typeof v !== 'string') throw new Error(`--${name} is required`);
  return v;
}

export function optionsFromFlags(flags: ControllerManagerFlags): ControllerManagerOptions {
  const o = defaultControllerManagerOptions();
  o.nodeMonitorGracePeriod = parseDurationSeconds(str(flags, 'node-monitor-grace-period'));
  o.nodeMonitorPeriod = parseDurationSeconds(str(flags, 'node-monitor-period'));
  o.nodeEvictionRate = num(flags, 'node-eviction-rate');
  o.secondaryNodeEvictionRate = num(flags, 'secondary-node-eviction-rate');
  o.unhealthyZoneThreshold = num(flags, 'unhealthy-zone-threshold');
  o.largeClusterSizeThreshold = num(flags, 'large-cluster-size-threshold');
  o.terminatedPodGcThreshold = num(flags, 'terminated-pod-gc-threshold');
  for (const stem of Object.keys(DEFAULT_CONCURRENT_SYNCS)) o.concurrentSyncs[stem] = num(flags, `concurrent-${stem}-syncs`);
  for (const name of ['node-startup-grace-period', 'namespace-sync-period']) {
    parseGoDuration(str(flags, name));
    o.extra[name] = str(flags, name);
  }
  o.extra['max-endpoints-per-slice'] = String(num(flags, 'max-endpoints-per-slice'));
  if (flags.allocateNodeCidrs !== undefined) o.extra['allocate-node-cidrs'] = String(flags.allocateNodeCidrs !== false);
  if (typeof flags.clusterCidr === 'string' && flags.clusterCidr) o.extra['cluster-cidr'] = flags.clusterCidr;
  if (flags.nodeCidrMaskSize !== undefined) o.extra['node-cidr-mask-size'] = String(num(flags, 'node-cidr-mask-size'));
  if (o.extra['allocate-node-cidrs'] === 'true') {
    if (!o.extra['cluster-cidr']) throw new Error('--allocate-node-cidrs needs --cluster-cidr (e.g. --cluster-cidr 10.244.0.0/16)');
    new CidrSet(o.extra['cluster-cidr'], Number(o.extra['node-cidr-mask-size'] ?? NODE_IPAM_DEFAULTS['node-cidr-mask-size']));
  }
  if (typeof flags.rootCaFile === 'string' && flags.rootCaFile) o.extra['root-ca-file'] = flags.rootCaFile;
  for (const name of ['cluster-signing-cert-file', 'cluster-signing-key-file']) {
    const v = flags[camel(name)];
    if (typeof v === 'string' && v) o.extra[name] = v;
  }
  if (!(parseGoDuration(str(flags, 'cluster-signing-duration')) > 0)) throw new Error('--cluster-signing-duration must be a positive duration');
  o.extra['cluster-signing-duration'] = str(flags, 'cluster-signing-duration');
  for (const name of Object.keys(DEFAULT_HPA_EXTRA)) {
    const v = str(flags, name);
    if (name.endsWith('tolerance')) num(flags, name);
    else parseGoDuration(v);
    o.extra[name] = v;
  }
  return o;
}

export function kubeconfigPath(flags: ControllerManagerFlags): string {
  const k = flags.kubeconfig;
  if (typeof k === 'string' && k) return k;
  return process.env.KUBECONFIG || join(process.env.K8TS_DATA_DIR ?? '.k8ts', 'kubeconfig.yaml');
}

/** Starts the controller manager the flags describe, against the API server in the kubeconfig. */
export async function runControllerManager(flags: ControllerManagerFlags, client?: RestClient): Promise<RunningControllerManager & { client: RestClient }> {
  const c = client ?? RestClient.fromKubeconfig(kubeconfigPath(flags), { component: 'kube-controller-manager', qps: num(flags, 'kube-api-qps'), burst: num(flags, 'kube-api-burst') });
  const controllers = str(flags, 'controllers')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const cm = await startControllerManager({
    client: c,
    options: optionsFromFlags(flags),
    controllers,
    leaderElect: flags.leaderElect !== false,
    leaseDurationMs: parseGoDuration(str(flags, 'leader-elect-lease-duration')),
    renewDeadlineMs: parseGoDuration(str(flags, 'leader-elect-renew-deadline')),
    retryPeriodMs: parseGoDuration(str(flags, 'leader-elect-retry-period')),
    leaseName: str(flags, 'leader-elect-resource-name'),
    leaseNamespace: str(flags, 'leader-elect-resource-namespace'),
    useServiceAccountCredentials: flags.useServiceAccountCredentials === true,
  });
  return Object.assign(cm, { client: c });
}

/** Adds `k8ts controller-manager` to the program. */
export function addControllerManagerCommand(program: Command): Command {
  return addControllerManagerFlags(program.command('controller-manager').description('run the controllers (namespace, garbage collector, node lifecycle, endpoints, workloads, ...) against an API server')).action(
    async (flags: ControllerManagerFlags) => {
      const cm = await runControllerManager(flags);
      progress(`controller manager started (identity ${cm.identity}${flags.leaderElect === false ? ', no leader election' : ''})`);
      let stopping = false;
      const stop = (sig: string): void => {
        if (stopping) process.exit(1);
        stopping = true;
        progress(`${sig}: stopping controllers`);
        cm.stop().then(
          () => {
            cm.client.close();
            process.exit(0);
          },
          (err: unknown) => {
            console.error(err);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    },
  );
}
