// A fixed-size ring of watch events addressed by sequence number (0, 1, 2, …
// in arrival order). Readers keep their own sequence cursor, so one copy of
// each event serves every watcher; a cursor older than the ring's oldest
// entry means the reader fell behind and its events are gone.
import type { WatchEvent } from '../interface.js';

export class EventRing {
  private readonly buf: Array<WatchEvent | undefined>;
  /** Sequence number the next pushed event gets. */
  next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`ring capacity must be a positive integer, got ${capacity}`);
    // Grown by appending until full (slots fill in order), not allocated up front: most resources never see
    // `capacity` events, and a preallocated ring per cached resource held MBs of empty slots in an idle server.
    this.buf = [];
  }

  /** Sequence number of the oldest event still held. */
  get oldest(): number {
    return Math.max(0, this.next - this.capacity);
  }

  get size(): number {
    return this.next - this.oldest;
  }

  /** Revision of the oldest held event, or 0 when empty. */
  get oldestRevision(): number {
    return this.size > 0 ? this.buf[this.oldest % this.capacity]!.revision : 0;
  }

  /** Returns the event that fell out of the ring, if one did. */
  push(event: WatchEvent): WatchEvent | undefined {
    const slot = this.next % this.capacity;
    const evicted = this.next >= this.capacity ? this.buf[slot] : undefined;
    this.buf[slot] = event;
    this.next++;
    return evicted;
  }

  /** The event at seq, or undefined if it was evicted or not yet pushed. */
  at(seq: number): WatchEvent | undefined {
    if (seq < this.oldest || seq >= this.next) return undefined;
    return this.buf[seq % this.capacity];
  }

  /** Sequence number of the first held event with revision > revision (next if none). */
  firstAfter(revision: number): number {
    let lo = this.oldest;
    let hi = this.next;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.buf[mid % this.capacity]!.revision > revision) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
