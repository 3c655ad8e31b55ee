import type { RestClient } from '../../client/rest.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import type { Deployment } from '../shared/types.js';

/** What the deployment sync steps need from their controller. */
export interface DeploymentSyncContext {
  client: RestClient;
  recorder: EventRecorder;
  now(): number;
  /** Look at the deployment again after ms (stuck-rollout and minReadySeconds checks). */
  enqueueAfter(d: Deployment, ms: number): void;
}
