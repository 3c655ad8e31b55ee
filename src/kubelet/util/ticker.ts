// Periodic work for many kubelets in one process (the hollow-node harness
// runs thousands): instead of a timer per node per task, registrations with
// the same period share one interval timer that walks a wheel of slots, and
// each registration gets a random slot so the work (and the requests to the
// API server) is spread evenly over the period rather than bursting at once.

export interface TickerRegistration {
  stop(): void;
}

interface Wheel {
  timer: NodeJS.Timeout;
  slots: Set<() => void>[];
  pos: number;
  count: number;
}

const SLOTS = 50;

export class SharedTicker {
  private readonly wheels = new Map<number, Wheel>();

  /** Calls fn about every periodMs, first after a random fraction of the period. */
  every(periodMs: number, fn: () => void): TickerRegistration {
    let w = this.wheels.get(periodMs);
    if (!w) {
      const slots = Array.from({ length: SLOTS }, () => new Set<() => void>());
      const wheel: Wheel = { timer: undefined as unknown as NodeJS.Timeout, slots, pos: 0, count: 0 };
      wheel.timer = setInterval(() => this.turn(wheel), Math.max(1, periodMs / SLOTS));
      wheel.timer.unref();
      this.wheels.set(periodMs, wheel);
      w = wheel;
    }
    const wheel = w;
    const slot = wheel.slots[Math.floor(Math.random() * SLOTS)]!;
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

  private turn(w: Wheel): void {
    const slot = w.slots[w.pos]!;
    w.pos = (w.pos + 1) % SLOTS;
    for (const fn of [...slot]) {
      try {
        fn();
      } catch {
        // A task's own error handling logs; one bad task must not stop the wheel.
      }
    }
  }
}

/** The process-wide ticker used unless a caller passes its own. */
export const defaultTicker = new SharedTicker();
