import type { ControllerManagerOptions } from './types.js';

// kube-controller-manager's flag defaults (1.32) and the Go duration syntax
// its flags take ("40s", "1m30s", "100ms"). Settings that upstream keeps as
// constants (pod GC period, GC discovery resync, ...) live in `extra` under
// k8ts-* names so tests can shorten them without changing any default.

/** Keys of `concurrentSyncs` are the stems of upstream's --concurrent-<stem>-syncs flags. */
export const DEFAULT_CONCURRENT_SYNCS: Readonly<Record<string, number>> = {
  deployment: 5,
  replicaset: 5,
  rc: 5,
  daemonset: 2,
  statefulset: 5,
  job: 5,
  'cron-job': 5,
  endpoint: 5,
  'service-endpoint': 5,
  namespace: 10,
  gc: 20,
  'serviceaccount-token': 5,
  'ttl-after-finished': 5,
};

export const DEFAULT_EXTRA: Readonly<Record<string, string>> = {
  'node-startup-grace-period': '1m',
  'namespace-sync-period': '5m',
  'max-endpoints-per-slice': '100',
  /** Upstream --cluster-signing-duration: the longest certificate csrsigning issues. */
  'cluster-signing-duration': '8760h',
  /** How often the pod GC looks at pods (upstream gcCheckPeriod). */
  'k8ts-pod-gc-period': '20s',
  /** How long a pod's node must stay missing before the pod is deleted (upstream quarantineTime). */
  'k8ts-pod-gc-quarantine': '40s',
  /** How often the garbage collector re-reads discovery for new resources. */
  'k8ts-gc-resync-period': '30s',
  /** How often zone tainting queues are drained (upstream NodeEvictionPeriod). */
  'k8ts-node-eviction-period': '100ms',
  /** Node IPAM (kube-controller-manager --allocate-node-cidrs, --node-cidr-mask-size; --cluster-cidr has no default). */
  'allocate-node-cidrs': 'false',
  'node-cidr-mask-size': '24',
  /** The HPA's flags (kube-controller-manager --horizontal-pod-autoscaler-*). */
  'horizontal-pod-autoscaler-sync-period': '15s',
  'horizontal-pod-autoscaler-downscale-stabilization': '5m',
  'horizontal-pod-autoscaler-tolerance': '0.1',
  'horizontal-pod-autoscaler-cpu-initialization-period': '5m',
  'horizontal-pod-autoscaler-initial-readiness-delay': '30s',
};

export function defaultControllerManagerOptions(): ControllerManagerOptions {
  return {
    nodeMonitorGracePeriod: 50,
    nodeMonitorPeriod: 5,
    nodeEvictionRate: 0.1,
    secondaryNodeEvictionRate: 0.01,
    unhealthyZoneThreshold: 0.55,
    largeClusterSizeThreshold: 50,
    terminatedPodGcThreshold: 12500,
    concurrentSyncs: { ...DEFAULT_CONCURRENT_SYNCS },
    extra: { ...DEFAULT_EXTRA },
  };
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go time.Duration string into milliseconds; throws on anything Go would reject. */
export function parseGoDuration(s: string): number {
  const str = s.trim();
  if (str === '0' || str === '+0' || str === '-0') return 0;
  let rest = str;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (!rest) throw new Error(`time: invalid duration "${s}"`);
  let total = 0;
  const re = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest) {
    const m = re.exec(rest);
    if (!m) throw new Error(rest.match(/^[\d.]+$/) ? `time: missing unit in duration "${s}"` : `time: invalid duration "${s}"`);
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/** Seconds from a flag value: a Go duration, or a bare number of seconds. */
export function parseDurationSeconds(s: string): number {
  return /^[+-]?\d+(\.\d+)?$/.test(s.trim()) && s.trim() !== '0' ? Number(s) : parseGoDuration(s) / 1000;
}

/** A duration from `extra` in milliseconds, falling back to the built-in default. */
export function extraDurationMs(o: ControllerManagerOptions, name: string): number {
  const v = o.extra?.[name] ?? DEFAULT_EXTRA[name];
  if (v === undefined) throw new Error(`no default for option ${name}`);
  return parseGoDuration(v);
}

export function extraNumber(o: ControllerManagerOptions, name: string): number {
  const v = o.extra?.[name] ?? DEFAULT_EXTRA[name];
  const n = Number(v);
  if (v === undefined || !Number.isFinite(n)) throw new Error(`option ${name} is not a number: ${String(v)}`);
  return n;
}

/** Workers for a controller from --concurrent-<stem>-syncs. */
export function concurrency(o: ControllerManagerOptions, stem: string): number {
  const n = o.concurrentSyncs?.[stem] ?? DEFAULT_CONCURRENT_SYNCS[stem] ?? 1;
  return n > 0 ? n : 1;
}
