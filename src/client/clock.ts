// Rate limiters, the event correlator and leader election all reason about
// elapsed time; injecting the clock lets unit tests step time instead of
// sleeping, which keeps them free of timing assumptions.

export interface Clock {
  /** Milliseconds since the epoch, possibly fractional. */
  now(): number;
}

export const realClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  constructor(private t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  step(ms: number): void {
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A duration stretched by up to `factor` of itself, as wait.Jitter, so many clients do not retry in lockstep. */
export function jitter(ms: number, factor: number): number {
  return ms + Math.random() * factor * ms;
}
