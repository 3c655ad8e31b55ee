import type { Clock } from '../../client/clock.js';

// The CronJob controller's sense of time. Tests and benchmarks hand it a
// clock that runs faster than the wall (minutes in seconds) or jumps ahead to
// stand for downtime; `realDelayMs` turns a wait in clock time into the
// timer the work queue sets.

export interface CronClock extends Clock {
  realDelayMs(clockMs: number): number;
}

export const wallClock: CronClock = { now: () => Date.now(), realDelayMs: (ms) => ms };

/** Runs `factor` times faster than the wall clock from now on; jump() moves it ahead at once. */
export class ScaledClock implements CronClock {
  private readonly realStart = Date.now();
  private offset = 0;
  constructor(
    private readonly factor: number,
    private readonly start = Date.now(),
  ) {}
  now(): number {
    return this.start + this.offset + (Date.now() - this.realStart) * this.factor;
  }
  realDelayMs(ms: number): number {
    return ms / this.factor;
  }
  jump(ms: number): void {
    this.offset += ms;
  }
}
