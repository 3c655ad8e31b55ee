// Upstream's ipallocator and portallocator repair controllers: rebuild each
// range's bitmap from the Services that exist. Run once before the server
// serves and then every few minutes, it marks values a Service holds but the
// bitmap lost, and frees values no Service holds, but only after seeing such
// a leak on several passes: another API server may have taken the value a
// moment ago and not yet stored its Service.

import type { KubeObject } from '../../../api/types.js';
import { Bitmap } from './bitmap.js';
import type { RangeAllocator } from './range-allocator.js';
import { clusterIPsOf, nodePortsOf } from './allocators.js';
import { logger } from '../../../util/log.js';

const log = logger('apiserver');

/** Upstream's numRepairsBeforeLeakCleanup. */
const REPAIRS_BEFORE_LEAK_CLEANUP = 3;

export interface RepairResult {
  held: number;
  repaired: number;
  leaked: number;
  released: number;
}

export class Repair<T> {
  private leaks = new Map<number, number>();

  constructor(
    private readonly alloc: RangeAllocator<T>,
    private readonly valuesOf: (svc: KubeObject) => T[],
    private readonly listServices: () => Promise<KubeObject[]>,
  ) {}

  async runOnce(): Promise<RepairResult> {
    for (let attempt = 0; ; attempt++) {
      // The snapshot comes first: an allocation after it makes the restore conflict, and we start over.
      const snap = await this.alloc.snapshot();
      const services = await this.listServices();
      const fresh = new Bitmap(this.alloc.range.size);
      const result: RepairResult = { held: 0, repaired: 0, leaked: 0, released: 0 };
      // Leak counts change only when this pass's bitmap is written, so a retried pass counts once.
      const leaks = new Map<number, number>();
      for (const svc of services) {
        const who = `${svc.metadata.namespace}/${svc.metadata.name}`;
        for (const v of this.valuesOf(svc)) {
          const off = this.alloc.range.offsetOf(v);
          if (off < 0) {
            log.warn({ service: who, value: v, range: this.alloc.range.text }, `the ${this.alloc.name} value is not within the range; please recreate the service`);
            continue;
          }
          if (fresh.has(off)) {
            log.warn({ service: who, value: v }, `the ${this.alloc.name} value was assigned to multiple services; please recreate the service`);
            continue;
          }
          fresh.set(off);
          result.held++;
          if (!snap.bitmap.has(off) && snap.range === this.alloc.range.text) {
            result.repaired++;
            log.warn({ service: who, value: v }, `the ${this.alloc.name} value was not allocated; repairing`);
          }
        }
      }
      for (const off of snap.bitmap.members()) {
        if (fresh.has(off)) continue;
        const seen = (this.leaks.get(off) ?? 0) + 1;
        if (seen < REPAIRS_BEFORE_LEAK_CLEANUP) {
          leaks.set(off, seen);
          fresh.set(off);
          result.leaked++;
        } else {
          result.released++;
          log.info({ value: this.alloc.range.valueAt(off) }, `the ${this.alloc.name} value is not held by any service; releasing`);
        }
      }
      if (await this.alloc.restore(snap, fresh)) {
        this.leaks = leaks;
        return result;
      }
      if (attempt > 20) throw new Error(`repairing ${this.alloc.key}: the range kept changing`);
    }
  }
}

export function ipRepair(alloc: RangeAllocator<string>, listServices: () => Promise<KubeObject[]>): Repair<string> {
  return new Repair(alloc, clusterIPsOf, listServices);
}

export function portRepair(alloc: RangeAllocator<number>, listServices: () => Promise<KubeObject[]>): Repair<number> {
  return new Repair(alloc, nodePortsOf, listServices);
}
