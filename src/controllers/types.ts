import type { RestClient } from '../client/rest.js';
import type { InformerFactory } from '../client/informer-factory.js';
import type { EventRecorder } from '../client/events/recorder.js';

// The seam between the controller manager and each controller: a controller
// gets shared informers, a client and an event recorder, and runs until its
// stop() is called. Each controller lives in its own folder.

export interface ControllerContext {
  client: RestClient;
  /** Shared informers: one list+watch per resource for all controllers. */
  informers: InformerFactory;
  /** An event recorder reporting as `component` (e.g. "replicaset-controller"). */
  recorder(component: string): EventRecorder;
  /** Parsed controller-manager flags (upstream names, camelCased: nodeMonitorGracePeriod, concurrentDeploymentSyncs, ...). */
  options: ControllerManagerOptions;
}

export interface ControllerManagerOptions {
  /** Seconds. Upstream --node-monitor-grace-period (50 s in 1.32). */
  nodeMonitorGracePeriod: number;
  /** Seconds. Upstream --node-monitor-period (5 s). */
  nodeMonitorPeriod: number;
  /** Evictions per second per zone. Upstream --node-eviction-rate (0.1). */
  nodeEvictionRate: number;
  /** Upstream --secondary-node-eviction-rate (0.01). */
  secondaryNodeEvictionRate: number;
  /** Upstream --unhealthy-zone-threshold (0.55). */
  unhealthyZoneThreshold: number;
  /** Upstream --large-cluster-size-threshold (50). */
  largeClusterSizeThreshold: number;
  /** Upstream --terminated-pod-gc-threshold (12500). */
  terminatedPodGcThreshold: number;
  /** Workers per controller: upstream --concurrent-*-syncs (5 for replicasets/deployments, 2 for daemonsets, 5 for jobs, 5 for endpoints, 10 for namespaces? (upstream 10), 20 for GC). */
  concurrentSyncs: Record<string, number>;
  /** Extra flags by upstream name, for controllers that need more. */
  extra: Record<string, string>;
}

export interface RunningController {
  stop(): Promise<void>;
}

export interface ControllerDescriptor {
  /** Upstream's controller name, as in --controllers (e.g. "replicaset", "nodelifecycle"). */
  name: string;
  start(ctx: ControllerContext): Promise<RunningController>;
}
