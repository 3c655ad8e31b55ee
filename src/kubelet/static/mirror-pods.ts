import { isAlreadyExists, isConflict, isNotFound } from '../../client/status.js';
import { podKey, type Pod } from '../api-types.js';
import type { KubeletContext } from '../context.js';
import { ANNOTATION_CONFIG_HASH, ANNOTATION_CONFIG_MIRROR, mirrorPodFor } from './manifest.js';

// Keeps one mirror pod in the API for each static pod, as upstream's
// mirror client and syncPod do: created once the Node exists (it owns the
// mirror), replaced when its hash is stale or someone deleted it (deleting
// a mirror never stops the static pod; the mirror simply comes back), and
// removed when its static pod is gone. Works from whatever the pod
// informer last showed, so it is safe to run again at any time.

const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };

export class MirrorPods {
  private readonly statics = new Map<string, Pod>();
  private readonly mirrors = new Map<string, Pod>();
  private running = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly ctx: KubeletContext,
    private readonly nodeUID: () => string | undefined,
  ) {}

  setStatic(pods: Iterable<Pod>): void {
    this.statics.clear();
    for (const p of pods) this.statics.set(podKey(p), p);
    this.reconcile();
  }

  mirrorChanged(pod: Pod, deleted: boolean): void {
    if (deleted) {
      if (this.mirrors.get(podKey(pod))?.metadata.uid === pod.metadata.uid) this.mirrors.delete(podKey(pod));
    } else this.mirrors.set(podKey(pod), pod);
    this.reconcile();
  }

  /** The mirror that carries a static pod's status, when it is current. */
  mirrorOf(staticPod: Pod): Pod | undefined {
    const m = this.mirrors.get(podKey(staticPod));
    if (!m || m.metadata.deletionTimestamp) return undefined;
    return m.metadata.annotations?.[ANNOTATION_CONFIG_MIRROR] === staticPod.metadata.annotations?.[ANNOTATION_CONFIG_HASH] ? m : undefined;
  }

  reconcile(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void (async () => {
      try {
        do {
          this.again = false;
          await this.once();
        } while (this.again && !this.stopped);
      } catch (err) {
        this.ctx.log.warn({ node: this.ctx.nodeName, err: (err as Error).message }, 'mirror pod sync failed');
      } finally {
        this.running = false;
      }
    })();
  }

  private async deleteMirror(m: Pod): Promise<void> {
    try {
      await this.ctx.client.delete(PODS, m.metadata.namespace, m.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: m.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
    if (this.mirrors.get(podKey(m))?.metadata.uid === m.metadata.uid) this.mirrors.delete(podKey(m));
  }

  private async once(): Promise<void> {
    const nodeUID = this.nodeUID();
    for (const [key, m] of [...this.mirrors]) {
      const s = this.statics.get(key);
      const stale = !s || m.metadata.deletionTimestamp || m.metadata.annotations?.[ANNOTATION_CONFIG_MIRROR] !== s.metadata.annotations?.[ANNOTATION_CONFIG_HASH];
      if (stale) await this.deleteMirror(m);
    }
    if (!nodeUID) return;
    for (const [key, s] of this.statics) {
      if (this.mirrors.has(key)) continue;
      try {
        const created = await this.ctx.client.create<Pod>(PODS, s.metadata.namespace, mirrorPodFor(s, this.ctx.nodeName, nodeUID));
        this.mirrors.set(key, created);
        this.ctx.log.info({ pod: key }, 'created mirror pod');
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
  }

  stop(): void {
    this.stopped = true;
  }
}
