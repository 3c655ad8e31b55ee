// The kubelet's SharedTicker spreads periodic work over 50 slots per
// period: with 5,000 hollow nodes that is 100 Lease PUTs leaving together
// every 200 ms, a burst that queues up in the API server and shows in its
// tail latency. This ticker keeps the same contract with many more slots
// (one every 10 ms at most, up to 2,000 a period), each registration in the
// emptiest of four random ones, so at most a handful of requests start together.
import { SharedTicker } from '../kubelet/util/ticker.js';

export class SmoothTicker extends SharedTicker {
  constructor() {
    super({ maxSlots: 2000, minSlotMs: 10, choices: 4 });
  }
}
