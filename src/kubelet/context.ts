import type { RestClient } from '../client/rest.js';
import type { EventRecorder } from '../client/events/recorder.js';
import type { ContainerRuntime } from '../runtime/interface.js';
import type { Logger } from '../util/log.js';
import type { Backoff } from './util/backoff.js';
import type { VolumeManager } from './volumes/manager.js';
import type { ServiceLister } from './pod/service-env.js';
import type { DnsSettings } from './pod/dns.js';

// What every part of one kubelet shares: its identity, the runtime, the API
// client, the event recorder and the back-off books. Passed explicitly so a
// process can hold thousands of kubelets with no module-level state.

export interface KubeletContext {
  nodeName: string;
  /** Node addresses reported as hostIP(s). */
  nodeIPs: string[];
  client: RestClient;
  runtime: ContainerRuntime;
  /** The scheme of containerIDs: docker://, fake://. */
  runtimeName: string;
  rootDir: string;
  recorder: EventRecorder;
  log: Logger;
  crashBackoff: Backoff;
  imageBackoff: Backoff;
  volumes: VolumeManager;
  /** No log directories, /etc/hosts files or network probes: for fake runtimes and hollow nodes. */
  lightweight: boolean;
  /** Node allocatable for resourceFieldRef defaults. */
  allocatable: { cpu: string; memory: string; 'ephemeral-storage'?: string };
  /** Services for the containers' service variables; absent for hollow nodes (no environment to see). */
  services?: ServiceLister;
  /** How pods' resolv.conf is formed (absent for lightweight kubelets: only a pod's own dnsConfig applies). */
  dns?: DnsSettings;
  /** Ask the pod's worker to sync again soon (probe results, PLEG). */
  requestSync(uid: string): void;
}

/** What the node half of a kubelet (registration, status, Lease) needs; hollow nodes run it alone while they have no pods. */
export type NodeAgentContext = Pick<KubeletContext, 'nodeName' | 'client' | 'runtime' | 'recorder' | 'log'>;
