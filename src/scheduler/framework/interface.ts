import type { CycleState } from './cycle-state.js';
import type { NodeInfo } from './node-info.js';
import type { PodInfo, NamespaceLabels } from './pod-info.js';
import type { Status } from './status.js';
import type { Pod } from './types.js';
import type { Snapshot } from '../cache/snapshot.js';
import type { NodeToStatus } from './node-to-status.js';
import type { ClusterEvent } from '../queue/events.js';

// The extension points, each a small interface as upstream's framework
// interface.go. A plugin implements the ones it needs; the profile's
// configuration decides where it runs.

export const MAX_NODE_SCORE = 100;

export interface Plugin {
  readonly name: string;
  /** Cluster events after which a pod this plugin rejected may fit (queueing hints, coarse). */
  events?(): ClusterEvent[];
}

export interface QueuedPodInfo {
  info: PodInfo;
  /** When the pod first entered the queue (ms), for ordering and latency. */
  initialAttemptTimestamp: number;
  timestamp: number;
  attempts: number;
  /** Plugins that rejected it in the last attempt. */
  unschedulablePlugins: Set<string>;
  /** Set when it failed for an error rather than a rejection. */
  lastError?: boolean;
}

export interface QueueSortPlugin extends Plugin {
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

export interface PreEnqueuePlugin extends Plugin {
  preEnqueue(pod: Pod): Status;
}

export interface PreFilterResult {
  /** Only these nodes can fit; undefined means all. */
  nodeNames?: Set<string>;
}

export interface PreFilterExtensions {
  /** Account for a pod added to a node during preemption or nominated-pod simulation. */
  addPod(state: CycleState, podToSchedule: PodInfo, podToAdd: PodInfo, node: NodeInfo): Status;
  removePod(state: CycleState, podToSchedule: PodInfo, podToRemove: PodInfo, node: NodeInfo): Status;
}

export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): { status: Status; result?: PreFilterResult };
  preFilterExtensions?: PreFilterExtensions;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
}

export interface PostFilterResult {
  /** A node to nominate; '' clears an earlier nomination. */
  nominatedNodeName?: string;
}

export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: PodInfo, statuses: NodeToStatus): Promise<{ status: Status; result?: PostFilterResult }>;
}

export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status;
}

export interface NodeScore {
  node: NodeInfo;
  score: number;
}

export interface ScorePlugin extends Plugin {
  /** 0..MAX_NODE_SCORE unless normalizeScore rescales it. */
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  normalizeScore?(state: CycleState, pod: PodInfo, scores: NodeScore[]): void;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: PodInfo, nodeName: string): Status;
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export interface PreBindPlugin extends Plugin {
  /** Runs in the binding cycle before the pod is bound (API writes the binding depends on). */
  preBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status>;
}

export interface BindPlugin extends Plugin {
  /** Status with code Skip passes to the next binder. */
  bind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status>;
}

/** What plugins may use of the scheduler. */
export interface Handle {
  snapshot(): Snapshot;
  namespaceLabels: NamespaceLabels;
  /** Pods nominated to a node by earlier preemptions. */
  nominatedPodsForNode(nodeName: string): PodInfo[];
  /** Filter plugins against a node as the real cycle does, counting nominated pods of equal or higher priority. */
  runFilterPluginsWithNominatedPods(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
  runPreFilterExtensionAddPod(state: CycleState, podToSchedule: PodInfo, podToAdd: PodInfo, node: NodeInfo): Status;
  runPreFilterExtensionRemovePod(state: CycleState, podToSchedule: PodInfo, podToRemove: PodInfo, node: NodeInfo): Status;
  /** API operations preemption needs. */
  api: SchedulerApi;
  schedulerName: string;
  /** Claims, volumes and classes (informer caches) and the writes of volume binding; absent in harnesses without them. */
  volumes?: VolumeAccess;
  /** The PodDisruptionBudgets preemption weighs victims against (informer cache); none when absent. */
  podDisruptionBudgets?(): PodDisruptionBudget[];
}

export interface VolumeAccess {
  claim(namespace: string, name: string): VolumeBindingClaim | undefined;
  volumes(): VolumeBindingVolume[];
  volume(name: string): VolumeBindingVolume | undefined;
  storageClass(name: string): { provisioner: string; volumeBindingMode?: string; metadata: { name?: string } } | undefined;
  /** Writes the volume half of a binding (claimRef), as the scheduler's binder does. */
  bindVolume(volume: VolumeBindingVolume, claim: VolumeBindingClaim): Promise<void>;
  /** Sets volume.kubernetes.io/selected-node on a claim that waits for provisioning. */
  selectNode(claim: VolumeBindingClaim, node: string): Promise<void>;
}

export type PodDisruptionBudget = import('../../controllers/disruption/types.js').PodDisruptionBudget;
export type VolumeBindingClaim = import('../../controllers/volume/types.js').PersistentVolumeClaim;
export type VolumeBindingVolume = import('../../controllers/volume/types.js').PersistentVolume;

export interface SchedulerApi {
  bind(pod: Pod, nodeName: string): Promise<void>;
  deletePod(pod: Pod): Promise<void>;
  /** Patch the pod's status (conditions, nominatedNodeName). */
  patchPodStatus(pod: Pod, status: Record<string, unknown>): Promise<void>;
  event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export type PluginFactory = (args: Record<string, unknown>, handle: Handle) => Plugin;
