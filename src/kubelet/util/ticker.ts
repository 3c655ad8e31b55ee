// Periodic work for many kubelets in one process (the hollow-node harness
// runs thousands): instead of a timer per node per task, registrations with
// the same period share one interval timer that walks a wheel of slots, and
// each registration gets a random slot so the work (and the requests to the
// API server) is spread evenly over the period rather than bursting at once.

export interface TickerRegistration {
  stop(): void;
}

export interface TickerOptions {
  /** Most slots per period. */
  maxSlots: number;
  /** A slot is never shorter than this: caps the timer's own rate for short periods. */
  minSlotMs: number;
  /**
   * Random slots looked at per registration; it takes the emptiest. One is a
   * plain random spread, a few give an even spread even for small counts.
   */
  choices: number;
}

interface Wheel {
  timer: NodeJS.Timeout;
  slots: Set<() => void>[];
  /** Slots run so far since start: the wheel follows the clock, so a late timer catches up instead of stretching the period. */
  done: number;
  start: number;
  slotMs: number;
  count: number;
}

/** The kubelet's spread: 50 slots per period. */
const KUBELET_TICKER: TickerOptions = { maxSlots: 50, minSlotMs: 1, choices: 1 };

export class SharedTicker {
  private readonly wheels = new Map<number, Wheel>();

  constructor(private readonly opts: TickerOptions = KUBELET_TICKER) {}

  /** Calls fn about every periodMs, first after a random fraction of the period. */
  every(periodMs: number, fn: () => void): TickerRegistration {
    const wheel = this.wheels.get(periodMs) ?? this.newWheel(periodMs);
    const pick = (): Set<() => void> => wheel.slots[Math.floor(Math.random() * wheel.slots.length)]!;
    let slot = pick();
    for (let i = 1; i < this.opts.choices; i++) {
      const other = pick();
      if (other.size < slot.size) slot = other;
    }
    // Functions are wrapped so one registered twice still gets two entries.
    const entry = (): void => fn();
    slot.add(entry);
    wheel.count++;
    let stopped = false;
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        slot.delete(entry);
        if (--wheel.count === 0) {
          clearInterval(wheel.timer);
          this.wheels.delete(periodMs);
        }
      },
    };
  }

  private newWheel(periodMs: number): Wheel {
    const n = Math.max(1, Math.min(this.opts.maxSlots, Math.floor(periodMs / this.opts.minSlotMs)));
    const w: Wheel = { timer: undefined as unknown as NodeJS.Timeout, slots: Array.from({ length: n }, () => new Set<() => void>()), done: 0, start: Date.now(), slotMs: periodMs / n, count: 0 };
    w.timer = setInterval(() => this.turn(w), w.slotMs);
    w.timer.unref();
    this.wheels.set(periodMs, w);
    return w;
  }

  private turn(w: Wheel): void {
    const n = w.slots.length;
    const due = Math.floor((Date.now() - w.start) / w.slotMs);
    // After a long stall, run at most one period's worth: each task once.
    if (due - w.done > n) w.done = due - n;
    for (; w.done < due; w.done++) {
      for (const fn of [...w.slots[w.done % n]!]) {
        try {
          fn();
        } catch {
          // A task's own error handling logs; one bad task must not stop the wheel.
        }
      }
    }
  }
}

/** The process-wide ticker used unless a caller passes its own. */
export const defaultTicker = new SharedTicker();
