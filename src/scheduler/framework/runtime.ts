import type {
  BindPlugin,
  FilterPlugin,
  Handle,
  NodeScore,
  Plugin,
  PostFilterPlugin,
  PostFilterResult,
  PreEnqueuePlugin,
  PodDisruptionBudget,
  PreFilterPlugin,
  PreFilterResult,
  PreBindPlugin,
  PreScorePlugin,
  QueueSortPlugin,
  ReservePlugin,
  SchedulerApi,
  ScorePlugin,
  VolumeAccess,
} from './interface.js';
import type { CycleState } from './cycle-state.js';
import type { NodeInfo } from './node-info.js';
import type { NamespaceLabels, PodInfo } from './pod-info.js';
import type { Pod } from './types.js';
import { Code, Status, SUCCESS } from './status.js';
import type { NodeToStatus } from './node-to-status.js';
import type { Snapshot } from '../cache/snapshot.js';
import type { ClusterEvent } from '../queue/events.js';
import type { ResolvedProfile } from '../config/profile.js';
import type { Registry } from './registry.js';

// One profile's plugins wired into their extension points, and the loops
// that run them (upstream's frameworkImpl). It is also the Handle the
// plugins see.

export interface FrameworkDeps {
  snapshot: () => Snapshot;
  namespaceLabels: NamespaceLabels;
  nominatedPodsForNode: (node: string) => PodInfo[];
  /** Whether any pod is nominated at all (default: assume so); lets the filter loop skip the per-node lookup. */
  hasNominatedPods?: () => boolean;
  api: SchedulerApi;
  volumes?: VolumeAccess;
  podDisruptionBudgets?: () => PodDisruptionBudget[];
}

interface WeightedScore {
  plugin: ScorePlugin;
  weight: number;
}

const has = <K extends string>(p: Plugin, method: K): boolean => typeof (p as unknown as Record<string, unknown>)[method] === 'function';

export class Framework implements Handle {
  readonly schedulerName: string;
  readonly percentageOfNodesToScore?: number;
  readonly queueSort: QueueSortPlugin;
  readonly preEnqueue: PreEnqueuePlugin[];
  readonly preFilter: PreFilterPlugin[];
  readonly filter: FilterPlugin[];
  readonly postFilter: PostFilterPlugin[];
  readonly preScore: PreScorePlugin[];
  readonly scorePlugins: WeightedScore[];
  readonly reserve: ReservePlugin[];
  readonly preBind: PreBindPlugin[];
  readonly bind: BindPlugin[];
  readonly volumes?: VolumeAccess;
  /** Which cluster events each plugin wants to hear about. */
  readonly pluginEvents = new Map<string, ClusterEvent[]>();
  readonly namespaceLabels: NamespaceLabels;
  readonly api: SchedulerApi;
  private readonly scoreBuf: NodeScore[] = [];

  constructor(
    profile: ResolvedProfile,
    registry: Registry,
    private readonly deps: FrameworkDeps,
  ) {
    this.schedulerName = profile.schedulerName;
    this.percentageOfNodesToScore = profile.percentageOfNodesToScore;
    this.namespaceLabels = deps.namespaceLabels;
    this.api = deps.api;
    this.volumes = deps.volumes;
    const instances = new Map<string, Plugin>();
    const get = (name: string): Plugin => {
      let p = instances.get(name);
      if (!p) {
        const factory = registry.get(name);
        if (!factory) throw new Error(`plugin "${name}" does not exist`);
        p = factory(profile.pluginArgs.get(name) ?? {}, this);
        instances.set(name, p);
        if (p.events) this.pluginEvents.set(name, p.events());
      }
      return p;
    };
    const at = <T extends Plugin>(names: readonly { name: string }[], method: string, point: string): T[] =>
      names.map(({ name }) => {
        const p = get(name);
        if (!has(p, method)) throw new Error(`plugin "${name}" does not extend ${point} plugin`);
        return p as T;
      });
    const sorts = at<QueueSortPlugin>(profile.plugins.queueSort, 'less', 'QueueSort');
    if (sorts.length !== 1) throw new Error(`one queue sort plugin required for profile with schedulerName "${profile.schedulerName}"`);
    this.queueSort = sorts[0]!;
    this.preEnqueue = at(profile.plugins.preEnqueue, 'preEnqueue', 'PreEnqueue');
    this.preFilter = at(profile.plugins.preFilter, 'preFilter', 'PreFilter');
    this.filter = at(profile.plugins.filter, 'filter', 'Filter');
    this.postFilter = at(profile.plugins.postFilter, 'postFilter', 'PostFilter');
    this.preScore = at(profile.plugins.preScore, 'preScore', 'PreScore');
    this.scorePlugins = profile.plugins.score.map(({ name, weight }) => {
      const p = get(name);
      if (!has(p, 'score')) throw new Error(`plugin "${name}" does not extend Score plugin`);
      return { plugin: p as ScorePlugin, weight: weight || 1 };
    });
    this.reserve = at(profile.plugins.reserve, 'reserve', 'Reserve');
    this.preBind = at(profile.plugins.preBind, 'preBind', 'PreBind');
    this.bind = at(profile.plugins.bind, 'bind', 'Bind');
    if (this.bind.length === 0) throw new Error('at least one bind plugin is needed');
  }

  snapshot(): Snapshot {
    return this.deps.snapshot();
  }

  nominatedPodsForNode(node: string): PodInfo[] {
    return this.deps.nominatedPodsForNode(node);
  }

  /** False when no pod is nominated anywhere: then runFilterPluginsWithNominatedPods is runFilter for every node. */
  hasNominatedPods(): boolean {
    return this.deps.hasNominatedPods?.() ?? true;
  }

  podDisruptionBudgets(): PodDisruptionBudget[] {
    return this.deps.podDisruptionBudgets?.() ?? [];
  }

  runPreEnqueue(pod: Pod): Status {
    for (const p of this.preEnqueue) {
      const s = p.preEnqueue(pod);
      if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return SUCCESS;
  }

  runPreFilter(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): { status: Status; result?: PreFilterResult } {
    let result: PreFilterResult | undefined;
    const contributors: string[] = [];
    for (const p of this.preFilter) {
      const r = p.preFilter(state, pod, nodes);
      if (r.status.isSkip()) {
        state.skipFilterPlugins.add(p.name);
        continue;
      }
      if (!r.status.isSuccess()) {
        const s = r.status.code === Code.Error ? r.status : new Status(r.status.code, r.status.reasons);
        return { status: s.withPlugin(p.name) };
      }
      if (r.result?.nodeNames) {
        contributors.push(p.name);
        result = { nodeNames: result?.nodeNames ? new Set([...result.nodeNames].filter((n) => r.result!.nodeNames!.has(n))) : r.result.nodeNames };
        if (result.nodeNames!.size === 0) {
          return { status: Status.unresolvable(`node(s) didn't satisfy plugin(s) [${contributors.join(' ')}] simultaneously`).withPlugin(p.name) };
        }
      }
    }
    state.activeFilters = this.filter.filter((f) => !state.skipFilterPlugins.has(f.name));
    return { status: SUCCESS, result };
  }

  runFilter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const filters = state.activeFilters as FilterPlugin[];
    for (let i = 0; i < filters.length; i++) {
      const f = filters[i]!;
      const s = f.filter(state, pod, node);
      if (s.code !== Code.Success) {
        if (s.plugin === '') s.plugin = f.name;
        return s;
      }
    }
    return SUCCESS;
  }

  /** Upstream's RunFilterPluginsWithNominatedPods: first as if nominated pods of equal or higher priority were there, then as is. */
  runFilterPluginsWithNominatedPods(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const nominated = this.deps.nominatedPodsForNode(node.name);
    if (nominated.length > 0) {
      let copy: NodeInfo | undefined;
      let stateCopy: CycleState | undefined;
      for (const p of nominated) {
        if (p.key === pod.key || p.priority < pod.priority) continue;
        copy ??= node.clone();
        stateCopy ??= state.clone();
        copy.addPod(p);
        const s = this.runPreFilterExtensionAddPod(stateCopy, pod, p, copy);
        if (!s.isSuccess()) return s;
      }
      if (copy) {
        const s = this.runFilter(stateCopy!, pod, copy);
        if (!s.isSuccess()) return s;
      }
    }
    return this.runFilter(state, pod, node);
  }

  runPreFilterExtensionAddPod(state: CycleState, podToSchedule: PodInfo, podToAdd: PodInfo, node: NodeInfo): Status {
    for (const p of this.preFilter) {
      if (!p.preFilterExtensions || state.skipFilterPlugins.has(p.name)) continue;
      const s = p.preFilterExtensions.addPod(state, podToSchedule, podToAdd, node);
      if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return SUCCESS;
  }

  runPreFilterExtensionRemovePod(state: CycleState, podToSchedule: PodInfo, podToRemove: PodInfo, node: NodeInfo): Status {
    for (const p of this.preFilter) {
      if (!p.preFilterExtensions || state.skipFilterPlugins.has(p.name)) continue;
      const s = p.preFilterExtensions.removePod(state, podToSchedule, podToRemove, node);
      if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return SUCCESS;
  }

  async runPostFilter(state: CycleState, pod: PodInfo, statuses: NodeToStatus): Promise<{ status: Status; result?: PostFilterResult }> {
    let last: { status: Status; result?: PostFilterResult } = { status: Status.unschedulable() };
    for (const p of this.postFilter) {
      const r = await p.postFilter(state, pod, statuses);
      if (r.status.isSuccess()) return r;
      if (r.status.code !== Code.Unschedulable) return { ...r, status: r.status.withPlugin(p.name) };
      last = r;
    }
    return last;
  }

  runPreScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status {
    for (const p of this.preScore) {
      const s = p.preScore(state, pod, nodes);
      if (s.isSkip()) state.skipScorePlugins.add(p.name);
      else if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return SUCCESS;
  }

  /** Weighted sum of every score plugin's normalized score, per node (same order as nodes). */
  runScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): number[] {
    const totals = new Array<number>(nodes.length).fill(0);
    // One NodeScore per node, reused from cycle to cycle (hundreds per pod); plugins see them only during this call.
    const scores = this.scoreBuf;
    if (scores.length > nodes.length) scores.length = nodes.length;
    for (let i = 0; i < nodes.length; i++) {
      const s = scores[i];
      if (s) {
        s.node = nodes[i]!;
        s.score = 0;
      } else scores.push({ node: nodes[i]!, score: 0 });
    }
    for (const { plugin, weight } of this.scorePlugins) {
      if (state.skipScorePlugins.has(plugin.name)) continue;
      for (let i = 0; i < nodes.length; i++) scores[i]!.score = plugin.score(state, pod, nodes[i]!);
      plugin.normalizeScore?.(state, pod, scores);
      for (let i = 0; i < nodes.length; i++) totals[i]! += scores[i]!.score * weight;
    }
    return totals;
  }

  runReserve(state: CycleState, pod: PodInfo, nodeName: string): Status {
    for (const p of this.reserve) {
      const s = p.reserve(state, pod, nodeName);
      if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return SUCCESS;
  }

  runUnreserve(state: CycleState, pod: PodInfo, nodeName: string): void {
    for (let i = this.reserve.length - 1; i >= 0; i--) this.reserve[i]!.unreserve(state, pod, nodeName);
  }

  async runPreBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status> {
    for (const p of this.preBind) {
      const s = await p.preBind(state, pod, nodeName);
      if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return SUCCESS;
  }

  async runBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status> {
    for (const p of this.bind) {
      const s = await p.bind(state, pod, nodeName);
      if (s.isSkip()) continue;
      return s.isSuccess() ? s : s.withPlugin(p.name);
    }
    return Status.error(`no bind plugin bound pod ${pod.key}`);
  }
}
