// The kubelet's SharedTicker spreads periodic work over 50 slots per
// period: with 5,000 hollow nodes that is 100 Lease PUTs leaving together
// every 200 ms, a burst that queues up in the API server and shows in its
// tail latency. This ticker keeps the same contract with many more slots,
// so at most a handful of requests start together.
import { SharedTicker, type TickerRegistration } from '../kubelet/util/ticker.js';

interface Wheel {
  timer: NodeJS.Timeout;
  slots: Set<() => void>[];
  /** Slots run so far since start: the wheel follows the clock, so a late timer catches up instead of stretching the period. */
  done: number;
  start: number;
  slotMs: number;
  count: number;
}

/** A slot every 10 ms at most, and no more than 2,000 slots per period. */
const MIN_SLOT_MS = 10;
const MAX_SLOTS = 2000;

export class SmoothTicker extends SharedTicker {
  private readonly smooth = new Map<number, Wheel>();

  override every(periodMs: number, fn: () => void): TickerRegistration {
    let wheel = this.smooth.get(periodMs);
    if (!wheel) {
      const n = Math.max(1, Math.min(MAX_SLOTS, Math.floor(periodMs / MIN_SLOT_MS)));
      const w: Wheel = { timer: undefined as unknown as NodeJS.Timeout, slots: Array.from({ length: n }, () => new Set<() => void>()), done: 0, start: Date.now(), slotMs: periodMs / n, count: 0 };
      w.timer = setInterval(() => {
        const due = Math.floor((Date.now() - w.start) / w.slotMs);
        // After a long stall, run at most one period's worth: each task once.
        if (due - w.done > n) w.done = due - n;
        for (; w.done < due; w.done++) {
          for (const f of [...w.slots[w.done % n]!]) {
            try {
              f();
            } catch {
              // each task logs its own failures
            }
          }
        }
      }, w.slotMs);
      w.timer.unref();
      this.smooth.set(periodMs, w);
      wheel = w;
    }
    const w = wheel;
    // Fill the emptiest of a few random slots: an even spread even for small counts.
    let slot = w.slots[Math.floor(Math.random() * w.slots.length)]!;
    for (let i = 0; i < 3; i++) {
      const other = w.slots[Math.floor(Math.random() * w.slots.length)]!;
      if (other.size < slot.size) slot = other;
    }
    const entry = (): void => fn();
    slot.add(entry);
    w.count++;
    let stopped = false;
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        slot.delete(entry);
        if (--w.count === 0) {
          clearInterval(w.timer);
          this.smooth.delete(periodMs);
        }
      },
    };
  }
}
