import { yaml } from '../../util/yaml.js';
import { DEFAULT_SCHEDULER_NAME } from '../framework/types.js';
import { UNIMPLEMENTED_UPSTREAM_PLUGINS } from '../framework/registry.js';

// KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1): defaults as
// upstream's v1 default plugins (everything through multiPoint), merged
// with a profile's enabled/disabled sets per extension point.

export const EXTENSION_POINTS = ['queueSort', 'preEnqueue', 'preFilter', 'filter', 'postFilter', 'preScore', 'score', 'reserve', 'preBind', 'bind'] as const;
export type ExtensionPoint = (typeof EXTENSION_POINTS)[number];

export interface PluginRef {
  name: string;
  weight?: number;
}

interface PluginSet {
  enabled?: PluginRef[];
  disabled?: PluginRef[];
}

export interface ProfileConfig {
  schedulerName?: string;
  percentageOfNodesToScore?: number;
  plugins?: Partial<Record<ExtensionPoint | 'multiPoint', PluginSet>>;
  pluginConfig?: { name: string; args?: Record<string, unknown> }[];
}

export interface SchedulerConfiguration {
  apiVersion?: string;
  kind?: string;
  percentageOfNodesToScore?: number;
  podInitialBackoffSeconds?: number;
  podMaxBackoffSeconds?: number;
  parallelism?: number;
  leaderElection?: {
    leaderElect?: boolean;
    leaseDuration?: string;
    renewDeadline?: string;
    retryPeriod?: string;
    resourceNamespace?: string;
    resourceName?: string;
  };
  clientConnection?: { kubeconfig?: string; qps?: number; burst?: number };
  profiles?: ProfileConfig[];
}

export interface ResolvedProfile {
  schedulerName: string;
  percentageOfNodesToScore?: number;
  plugins: Record<ExtensionPoint, { name: string; weight: number }[]>;
  pluginArgs: Map<string, Record<string, unknown>>;
}

/** Which extension points each in-tree plugin implements (for multiPoint expansion). */
const POINTS: Record<string, ExtensionPoint[]> = {
  PrioritySort: ['queueSort'],
  SchedulingGates: ['preEnqueue'],
  NodeUnschedulable: ['filter'],
  NodeName: ['filter'],
  TaintToleration: ['filter', 'score'],
  NodeAffinity: ['preFilter', 'filter', 'preScore', 'score'],
  NodePorts: ['preFilter', 'filter'],
  NodeResourcesFit: ['preFilter', 'filter', 'score'],
  PodTopologySpread: ['preFilter', 'filter', 'preScore', 'score'],
  InterPodAffinity: ['preFilter', 'filter', 'preScore', 'score'],
  DefaultPreemption: ['postFilter'],
  VolumeBinding: ['preFilter', 'filter', 'reserve', 'preBind'],
  NodeResourcesBalancedAllocation: ['score'],
  DefaultBinder: ['bind'],
};

/** Upstream's v1 default multiPoint list, in order, with score weights. */
export const DEFAULT_MULTIPOINT: { name: string; weight: number }[] = [
  { name: 'SchedulingGates', weight: 0 },
  { name: 'PrioritySort', weight: 0 },
  { name: 'NodeUnschedulable', weight: 0 },
  { name: 'NodeName', weight: 0 },
  { name: 'TaintToleration', weight: 3 },
  { name: 'NodeAffinity', weight: 2 },
  { name: 'NodePorts', weight: 0 },
  { name: 'NodeResourcesFit', weight: 1 },
  { name: 'VolumeBinding', weight: 0 },
  { name: 'PodTopologySpread', weight: 2 },
  { name: 'InterPodAffinity', weight: 2 },
  { name: 'DefaultPreemption', weight: 0 },
  { name: 'NodeResourcesBalancedAllocation', weight: 1 },
  { name: 'DefaultBinder', weight: 0 },
];

function known(name: string): boolean {
  if (name in POINTS) return true;
  if (UNIMPLEMENTED_UPSTREAM_PLUGINS.has(name)) return false;
  throw new Error(`plugin "${name}" does not exist`);
}

function applySet(list: { name: string; weight: number }[], set: PluginSet | undefined, point?: ExtensionPoint): { name: string; weight: number }[] {
  if (!set) return list;
  let out = list;
  for (const d of set.disabled ?? []) out = d.name === '*' ? [] : out.filter((p) => p.name !== d.name);
  for (const e of set.enabled ?? []) {
    if (!known(e.name)) continue;
    if (point && !POINTS[e.name]!.includes(point)) throw new Error(`plugin "${e.name}" does not extend ${point} plugin`);
    const i = out.findIndex((p) => p.name === e.name);
    const weight = e.weight ?? (i >= 0 ? out[i]!.weight : 0);
    if (i >= 0) out = out.filter((_, j) => j !== i);
    out = [...out, { name: e.name, weight }];
  }
  return out;
}

export function resolveProfile(p: ProfileConfig = {}, global: SchedulerConfiguration = {}): ResolvedProfile {
  const multi = applySet(DEFAULT_MULTIPOINT, p.plugins?.multiPoint);
  const plugins = {} as ResolvedProfile['plugins'];
  for (const point of EXTENSION_POINTS) {
    const base = multi.filter((x) => POINTS[x.name]?.includes(point));
    plugins[point] = applySet(base, p.plugins?.[point], point).map((x) => ({ name: x.name, weight: point === 'score' ? x.weight || 1 : x.weight }));
  }
  const pluginArgs = new Map<string, Record<string, unknown>>();
  for (const c of p.pluginConfig ?? []) pluginArgs.set(c.name, c.args ?? {});
  const pct = p.percentageOfNodesToScore ?? global.percentageOfNodesToScore;
  if (pct !== undefined && (pct < 0 || pct > 100)) throw new Error(`percentageOfNodesToScore: Invalid value: ${pct}: not in valid range [0-100]`);
  // A profile's own value wins; without one the top-level value applies (it was validated but ignored before).
  return { schedulerName: p.schedulerName ?? DEFAULT_SCHEDULER_NAME, percentageOfNodesToScore: pct, plugins, pluginArgs };
}

export function parseConfiguration(text: string): SchedulerConfiguration {
  const cfg = (yaml().parse(text) ?? {}) as SchedulerConfiguration;
  if (cfg.kind && cfg.kind !== 'KubeSchedulerConfiguration') throw new Error(`config kind must be KubeSchedulerConfiguration, not ${cfg.kind}`);
  if (cfg.apiVersion && !/^kubescheduler\.config\.k8s\.io\/v1(beta\d)?$/.test(cfg.apiVersion)) throw new Error(`unsupported config apiVersion ${cfg.apiVersion}`);
  const names = new Set<string>();
  for (const p of cfg.profiles ?? []) {
    const n = p.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    if (names.has(n)) throw new Error(`profiles[].schedulerName: Duplicate value: "${n}"`);
    names.add(n);
  }
  return cfg;
}

export function resolveProfiles(cfg: SchedulerConfiguration): ResolvedProfile[] {
  const profiles = cfg.profiles?.length ? cfg.profiles : [{}];
  return profiles.map((p) => resolveProfile(p, cfg));
}

/** "15s", "1m30s", "500ms" → milliseconds (metav1.Duration). */
export function parseDuration(s: string | undefined, fallbackMs: number): number {
  if (!s) return fallbackMs;
  let ms = 0;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let m: RegExpExecArray | null;
  let matched = '';
  while ((m = re.exec(s))) {
    matched += m[0];
    const v = Number(m[1]);
    ms += m[2] === 'h' ? v * 3_600_000 : m[2] === 'm' ? v * 60_000 : m[2] === 's' ? v * 1000 : v;
  }
  if (matched !== s) throw new Error(`invalid duration "${s}"`);
  return ms;
}
