import type { RestClient } from '../../client/rest.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import type { Logger } from '../../util/log.js';
import type { Pod, Volume } from '../api-types.js';
import type { ServiceAccountTokenManager } from './token-manager.js';
import type { WatchedObjects } from './watched-objects.js';

// The seam for volume types, a small cut of upstream's VolumePlugin /
// Mounter / Unmounter: a plugin recognises the volumes it serves, makes one
// ready on this node (idempotently: it is called again on every resync) and
// returns the host path containers bind, and cleans up after the pod.

export interface VolumeHost {
  client: RestClient;
  nodeName: string;
  nodeIPs: string[];
  recorder: EventRecorder;
  log: Logger;
  /** Do without tmpfs mounts and other privileged steps (fake runtimes, hollow nodes). */
  lightweight: boolean;
  allocatable: { cpu: string; memory: string; 'ephemeral-storage'?: string };
  /** Projected service account tokens, kept until they near expiry. */
  tokens: ServiceAccountTokenManager;
  /** The ConfigMaps and Secrets pods' volumes use, each watched while used. */
  objects: Pick<WatchedObjects, 'get' | 'releasePod'>;
}

export interface VolumeSetUpContext {
  pod: Pod;
  volume: Volume;
  /** rootDir/pods/<uid>/volumes/<plugin dir>/<volume name>: the plugin's own directory for this volume. */
  dir: string;
  host: VolumeHost;
  /** The pod's IP once its sandbox is up (downward API status.podIP). */
  podIP?: string;
  /** rootDir/plugins/<plugin dir>: state a plugin shares between pods (node-wide mounts). */
  pluginDir?: string;
}

export interface VolumePlugin {
  /** Upstream's plugin name, e.g. kubernetes.io/empty-dir; its "/" becomes "~" in directory names. */
  readonly name: string;
  canSupport(volume: Volume): boolean;
  /** Prepares the volume and returns the host path to mount. Errors carry the cause users see in FailedMount events. */
  setUp(ctx: VolumeSetUpContext): Promise<string>;
  /** Content follows the API (configMap, secret, downwardAPI, projected): set up again on resync. */
  readonly refreshable?: boolean;
  tearDown?(ctx: VolumeTearDownContext): Promise<void>;
}

export interface VolumeTearDownContext {
  dir: string;
  volume?: Volume;
  host: VolumeHost;
  pluginDir?: string;
}

export function pluginDirName(plugin: VolumePlugin): string {
  return plugin.name.replace(/\//g, '~');
}
