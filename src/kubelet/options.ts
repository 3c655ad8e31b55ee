import type { NodeAgent } from './node/agent.js';
import type { EventRecorder } from '../client/events/recorder.js';
import type { RestClient } from '../client/rest.js';
import type { ContainerRuntime } from '../runtime/interface.js';
import type { NodePodSource } from './pod/source.js';
import type { SharedTicker } from './util/ticker.js';
import type { ServiceLister } from './pod/service-env.js';
import type { VolumePlugin } from './volumes/plugin.js';
import type { KubeletServingTls } from './server/auth.js';
import type { WatchedObjects } from './volumes/watched-objects.js';

// startKubelet's options, named after upstream's flags/config fields.
// Durations are milliseconds unless the name says Seconds.

export interface BackoffSettings {
  initialMs?: number;
  maxMs?: number;
  /** Running this long without failing starts the back-off over (default 2 × max: 10 min). */
  resetAfterMs?: number;
}

export interface KubeletOptions {
  client: RestClient;
  nodeName: string;
  runtime: ContainerRuntime;
  /** Upstream --root-dir (/var/lib/kubelet): pod directories, volumes, logs. */
  rootDir: string;
  /** Upstream --pod-manifest-path: a directory (or file) of static pod manifests. */
  podManifestPath?: string;
  /** Upstream --file-check-frequency (20 s). */
  fileCheckFrequency?: number;
  /** Upstream nodeStatusUpdateFrequency (10 s): how often status is computed. */
  nodeStatusUpdateFrequency?: number;
  /** Upstream nodeStatusReportFrequency (5 min): an unchanged status is still posted this often. */
  nodeStatusReportFrequency?: number;
  /** Upstream nodeLeaseDurationSeconds (40). */
  nodeLeaseDurationSeconds?: number;
  /** Lease renew interval (upstream: 25% of the lease duration, 10 s). */
  leaseRenewInterval?: number;
  /**
   * A node agent already registering this node and renewing its Lease (a
   * hollow node that ran without pods until now): the kubelet takes it over
   * instead of starting its own, and stops it when it stops.
   */
  nodeAgent?: NodeAgent;
  /** Upstream --sync-frequency (1 min): every pod is re-synced at least this often. */
  syncFrequency?: number;
  /** PLEG relist period (upstream 1 s). */
  plegRelistPeriod?: number;
  podCIDR?: string;
  /** Upstream --node-ip: the InternalIP reported and the address the kubelet server listens on. */
  address?: string;
  /** Upstream --port (10250); 0 picks a free port; null runs no server (hollow nodes). */
  kubeletPort?: number | null;
  /**
   * Serving certificate and the CA client certificates must chain to (upstream
   * --tls-cert-file, --tls-private-key-file, --client-ca-file). Without it the
   * server speaks plain HTTP to anyone: tests of the kubelet alone only.
   */
  tls?: KubeletServingTls;
  /** Upstream --max-pods (110). */
  maxPods?: number;
  /** Upstream --node-labels. */
  nodeLabels?: Record<string, string>;
  /** Capacity overrides (hollow nodes). */
  capacity?: Record<string, string>;
  /** Image pull back-off (upstream 10 s doubling to 300 s). */
  imageBackOff?: BackoffSettings;
  /** Container restart back-off (upstream 10 s doubling to 300 s, reset after 10 min). */
  crashLoopBackOff?: BackoffSettings;
  /** Skip log dirs, /etc/hosts files, tmpfs and network probes. Default: true for the fake runtime. */
  lightweight?: boolean;
  /** Shared sources for many kubelets in one process (see pod/source.ts); default: an informer per kubelet. */
  podSource?: NodePodSource;
  /** Shared event recorder; default: one per kubelet (source host = node name). */
  recorder?: EventRecorder;
  /** ConfigMaps and Secrets of volumes, shared by many kubelets in one process (hollow nodes); default: one per kubelet. */
  objects?: WatchedObjects;
  /** Shared periodic-task wheel; default: the process-wide one. */
  ticker?: SharedTicker;
  volumePlugins?: VolumePlugin[];
  /**
   * Services for the containers' service variables (KUBERNETES_SERVICE_HOST...). Default: an informer
   * of this kubelet's own, unless lightweight (hollow nodes have no environment anyone could read).
   */
  services?: ServiceLister;
  /** Upstream --cluster-dns: the nameservers of ClusterFirst pods. */
  clusterDNS?: string[];
  /** Upstream --cluster-domain (upstream's default is empty; k8ts server passes cluster.local). */
  clusterDomain?: string;
  /** Upstream --resolv-conf (/etc/resolv.conf); '' gives Default pods no host nameservers. */
  resolvConf?: string;
  /** Run the node half of the local-path StorageClass (default: unless lightweight); claim directories go under rootDir/storage. */
  localPathProvisioner?: boolean;
  /** The client the local-path provisioner writes with (its own identity); default: the kubelet's. */
  localPathClient?: RestClient;
}
