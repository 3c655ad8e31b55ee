import type { RestClient } from '../../client/rest.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/status.js';
import { PODS } from '../shared/resources.js';
import type { Pod } from '../shared/types.js';
import type { ClaimControl } from './claims.js';
import { identityMatches, ordinalOf, setIdentity, setStorage, storageMatches } from './identity.js';
import type { StatefulSet } from './types.js';

// Creating, updating and deleting a StatefulSet's pods with upstream's
// events ("create Pod web-0 in StatefulSet web successful"); claims are
// made before their pod, and their owners follow the retention policy.

export class StatefulPodControl {
  constructor(
    private readonly client: RestClient,
    private readonly recorder: EventRecorder,
    readonly claims: ClaimControl,
  ) {}

  private record(verb: 'create' | 'update' | 'delete', set: StatefulSet, pod: Pod, err?: unknown): void {
    const title = verb[0]!.toUpperCase() + verb.slice(1);
    if (err === undefined) this.recorder.event(set, 'Normal', `Successful${title}`, `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    else this.recorder.event(set, 'Warning', `Failed${title}`, `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`);
  }

  /** Returns the created pod; AlreadyExists is thrown without an event (a lagging cache, not a failure). */
  async create(set: StatefulSet, pod: Pod): Promise<Pod> {
    try {
      await this.claims.createMissing(set, pod);
    } catch (err) {
      this.record('create', set, pod, err);
      throw err;
    }
    let created: Pod;
    try {
      created = await this.client.create<Pod>(PODS, pod.metadata.namespace, pod);
    } catch (err) {
      if (isAlreadyExists(err)) throw err;
      this.record('create', set, pod, err);
      throw err;
    }
    try {
      await this.claims.updateForPolicy(set, created);
    } catch (err) {
      this.record('update', set, created, err);
      throw err;
    }
    this.record('create', set, created);
    return created;
  }

  async delete(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.client.delete(PODS, pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
      this.record('delete', set, pod);
    } catch (err) {
      if (!isNotFound(err)) this.record('delete', set, pod, err);
      throw err;
    }
  }

  /** Restores identity and storage of a pod that lost them, and the owners of its claims (upstream's UpdateStatefulPod). */
  async update(set: StatefulSet, pod: Pod): Promise<void> {
    let cur = structuredClone(pod);
    for (let attempt = 0; ; attempt++) {
      let consistent = true;
      const ordinal = ordinalOf(cur);
      if (!identityMatches(set, cur)) {
        setIdentity(set, cur, ordinal);
        consistent = false;
      }
      if (!storageMatches(set, cur)) {
        setStorage(set, cur, ordinal);
        consistent = false;
      }
      try {
        await this.claims.createMissing(set, cur);
        if (!this.claims.matchesPolicy(set, cur)) await this.claims.updateForPolicy(set, cur);
        if (consistent) return;
        await this.client.update<Pod>(PODS, cur.metadata.namespace, cur);
        this.record('update', set, cur);
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= 4) {
          this.record('update', set, cur, err);
          throw err;
        }
        cur = await this.client.get<Pod>(PODS, pod.metadata.namespace, pod.metadata.name!);
      }
    }
  }
}
