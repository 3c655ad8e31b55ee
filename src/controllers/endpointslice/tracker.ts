import type { KubeObject } from '../../api/types.js';

// Upstream's EndpointSliceTracker: remembers the slices each service's sync
// wrote (by uid and resourceVersion) or deleted. Until the informer cache
// shows all of them, the cache is stale and a sync would act twice (e.g.
// create a second slice for the same endpoints), so the sync waits.

const DELETED = -1;

export class SliceTracker {
  private readonly byService = new Map<string, Map<string, number>>();

  private slot(key: string): Map<string, number> {
    let m = this.byService.get(key);
    if (!m) this.byService.set(key, (m = new Map()));
    return m;
  }

  wrote(key: string, slice: KubeObject): void {
    if (slice.metadata.uid) this.slot(key).set(slice.metadata.uid, Number(slice.metadata.resourceVersion ?? 0));
  }

  deleted(key: string, slice: KubeObject): void {
    if (slice.metadata.uid) this.slot(key).set(slice.metadata.uid, DELETED);
  }

  /** The informer saw the slice go (deleted by us or anyone): nothing left to wait for. */
  observedDeletion(key: string, slice: KubeObject): void {
    this.byService.get(key)?.delete(slice.metadata.uid ?? '');
  }

  forget(key: string): void {
    this.byService.delete(key);
  }

  /** True while the cached slices lag behind this controller's own writes. */
  stale(key: string, cached: KubeObject[]): boolean {
    const m = this.byService.get(key);
    if (!m) return false;
    const byUid = new Map(cached.map((s) => [s.metadata.uid ?? '', s]));
    for (const [uid, rv] of m) {
      const s = byUid.get(uid);
      if (rv === DELETED) {
        if (s) return true;
        m.delete(uid);
      } else if (!s || Number(s.metadata.resourceVersion ?? 0) < rv) {
        return true;
      }
    }
    return false;
  }
}
