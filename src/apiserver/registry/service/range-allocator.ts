// One range's allocations kept in the Store as a RangeAllocation object
// (/registry/ranges/serviceips, /registry/ranges/servicenodeports), changed
// only by compare-and-swap. Several API servers over one store therefore
// never hand out the same value, and a restart finds every allocation where
// the last process left it: there is no in-memory copy to trust.

import type { Store } from '../../../storage/interface.js';
import { isStorageError } from '../../../storage/errors.js';
import { Bitmap } from './bitmap.js';
import type { Range } from './ranges.js';

/** Upstream's allocator errors; their text is what clients see in the 422. */
export class AllocationError extends Error {
  constructor(
    readonly reason: 'Allocated' | 'NotInRange' | 'Full',
    message: string,
  ) {
    super(message);
  }
}

interface RangeAllocationObject {
  apiVersion: 'v1';
  kind: 'RangeAllocation';
  metadata: { name: string; creationTimestamp?: string };
  range: string;
  data: string;
}

export interface Snapshot {
  bitmap: Bitmap;
  /** The stored object's revision: a restore fails if anyone allocated since. */
  revision: number;
  /** The range the bits were written for (may differ after a flag change). */
  range: string;
}

export class RangeAllocator<T> {
  readonly key: string;

  constructor(
    private readonly store: Store,
    readonly range: Range<T>,
    /** "serviceips" or "servicenodeports". */
    readonly name: string,
    /** For messages: "IP" or "port". */
    private readonly what: string,
    /** For messages: "IPs" or "ports". */
    private readonly whats: string,
  ) {
    this.key = `/registry/ranges/${name}`;
  }

  private encode(b: Bitmap): string {
    const obj: RangeAllocationObject = { apiVersion: 'v1', kind: 'RangeAllocation', metadata: { name: this.name }, range: this.range.text, data: b.encode() };
    return JSON.stringify(obj);
  }

  private decode(value: string): { bitmap: Bitmap; range: string } {
    const obj = JSON.parse(value) as RangeAllocationObject;
    // Bits written for another range mean nothing here; the repair pass rebuilds them from the Services.
    if (obj.range !== this.range.text) return { bitmap: new Bitmap(this.range.size), range: obj.range };
    return { bitmap: Bitmap.decode(this.range.size, obj.data), range: obj.range };
  }

  /** Creates the (empty) object if no server did yet. */
  async ensure(): Promise<void> {
    try {
      await this.store.create(this.key, this.encode(new Bitmap(this.range.size)));
    } catch (err) {
      if (!isStorageError(err, 'KeyExists')) throw err;
    }
  }

  private notInRange(): AllocationError {
    return new AllocationError('NotInRange', `provided ${this.what} is not in the valid range. The range of valid ${this.whats} is ${this.range.text}`);
  }

  private async change(fn: (b: Bitmap) => void): Promise<void> {
    for (;;) {
      try {
        await this.store.guaranteedUpdate(this.key, (kv) => {
          const { bitmap } = this.decode(kv.value);
          fn(bitmap);
          return this.encode(bitmap);
        });
        return;
      } catch (err) {
        if (!isStorageError(err, 'NotFound')) throw err;
        await this.ensure();
      }
    }
  }

  private async read(): Promise<Bitmap> {
    const kv = await this.store.get(this.key);
    return kv ? this.decode(kv.value).bitmap : new Bitmap(this.range.size);
  }

  /** Takes a value asked for by number; dryRun only checks. */
  async allocate(v: T, dryRun = false): Promise<void> {
    const off = this.range.offsetOf(v);
    if (off < 0) throw this.notInRange();
    const taken = () => new AllocationError('Allocated', `provided ${this.what} is already allocated`);
    if (dryRun) {
      if ((await this.read()).has(off)) throw taken();
      return;
    }
    await this.change((b) => {
      if (b.has(off)) throw taken();
      b.set(off);
    });
  }

  /** Takes any free value; dryRun picks one without keeping it. */
  async allocateNext(dryRun = false): Promise<T> {
    let off = -1;
    const pick = (b: Bitmap) => {
      off = b.randomFree(this.range.staticBand);
      if (off < 0) throw new AllocationError('Full', 'range is full');
    };
    if (dryRun) pick(await this.read());
    else await this.change((b) => {
      pick(b);
      b.set(off);
    });
    return this.range.valueAt(off);
  }

  /** Gives values back; values outside the range are ignored, as upstream. */
  async release(values: T[]): Promise<void> {
    const offs = values.map((v) => this.range.offsetOf(v)).filter((o) => o >= 0);
    if (!offs.length) return;
    await this.change((b) => {
      for (const o of offs) b.clear(o);
    });
  }

  async has(v: T): Promise<boolean> {
    const off = this.range.offsetOf(v);
    return off >= 0 && (await this.read()).has(off);
  }

  async free(): Promise<number> {
    const b = await this.read();
    return this.range.size - b.count();
  }

  async snapshot(): Promise<Snapshot> {
    await this.ensure();
    const kv = await this.store.get(this.key);
    if (!kv) throw new Error(`${this.key} vanished`);
    const { bitmap, range } = this.decode(kv.value);
    return { bitmap, revision: kv.modRevision, range };
  }

  /** Writes a repaired bitmap; false when someone allocated since the snapshot (repair again). */
  async restore(snap: Snapshot, bitmap: Bitmap): Promise<boolean> {
    try {
      await this.store.update(this.key, this.encode(bitmap), snap.revision);
      return true;
    } catch (err) {
      if (isStorageError(err, 'Conflict')) return false;
      throw err;
    }
  }
}
