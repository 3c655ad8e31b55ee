// One priority level's seats and queues, as upstream's fairqueuing QueueSet:
// a request starts at once while the level has a free seat and nobody is
// waiting; otherwise it waits in one of the level's queues, picked by
// shuffle sharding (the flow's hash deals it a hand of queues and it joins
// the shortest), and each freed seat goes to the head of the queue that has
// had the least service so far (virtual time), so a flow that floods its
// queues does not starve another flow of the same level. A queue at its
// length limit, or a wait longer than the limit, is a rejection.
//
// Simplifications against upstream: every request takes one seat (upstream
// widens LISTs by their estimated size) and a dispatch costs one unit of
// virtual time (upstream charges the seat-seconds it measures), so fairness
// is in requests rather than in work; levels do not lend or borrow seats.
import { createHash } from 'node:crypto';
import type { QueuingConfiguration } from './types.js';

export type RejectReason = 'queue-full' | 'concurrency-limit' | 'time-out' | 'cancelled';

/** A seat taken: release it exactly once, when the request's response is done. */
export interface Seat {
  release(): void;
}

interface Waiter {
  queue: Queue;
  done: (outcome: Seat | RejectReason) => void;
  timer?: NodeJS.Timeout;
}

interface Queue {
  readonly index: number;
  readonly waiting: Waiter[];
  /** Requests dispatched from this queue still running (counts toward "shortest"). */
  executing: number;
  /** Virtual time at which this queue's head may next be served. */
  nextStart: number;
}

/** A pending wait: `outcome` settles with a seat or the reason it was refused; cancel() if the client goes away first. */
export interface Wait {
  outcome: Promise<Seat | RejectReason>;
  cancel(): void;
}

/** 52 bits of a flow's hash: enough to deal 6 of 128 queues (128·127·…·123 ≈ 4·10^12 hands). */
function flowHash(flow: string): number {
  return parseInt(createHash('sha1').update(flow).digest('hex').slice(0, 13), 16);
}

/** A hand of `size` distinct queue indexes out of `deck`, dealt from `hash` (upstream's shufflesharding Dealer idea). */
export function dealHand(hash: number, deck: number, size: number): number[] {
  const chosen: number[] = [];
  let h = hash;
  for (let i = 0; i < size && i < deck; i++) {
    const remaining = deck - i;
    let card = h % remaining;
    h = Math.floor(h / remaining);
    // card is a rank among the cards not dealt yet: step over those already dealt, lowest first.
    const sorted = [...chosen].sort((a, b) => a - b);
    for (const c of sorted) if (card >= c) card++;
    chosen.push(card);
  }
  return chosen;
}

const MAX_CACHED_HANDS = 10_000;

export class QueueSet {
  executing = 0;
  waiting = 0;
  private readonly queues: Queue[];
  private readonly nonEmpty = new Set<Queue>();
  private readonly hands = new Map<string, number[]>();
  private virtualTime = 0;

  /**
   * @param seats concurrency limit (Infinity: never waits)
   * @param queuing undefined: a level that rejects rather than queues
   * @param waitLimitMs how long a request may wait in a queue (upstream: a quarter of the request timeout, 15 s)
   */
  constructor(
    readonly seats: number,
    private readonly queuing: QueuingConfiguration | undefined,
    private readonly waitLimitMs: number,
  ) {
    const n = queuing ? Math.max(1, queuing.queues) : 1;
    this.queues = Array.from({ length: n }, (_, index) => ({ index, waiting: [], executing: 0, nextStart: 0 }));
  }

  /** The queue indexes a flow may use (exposed for tests). */
  handOf(flow: string): number[] {
    let hand = this.hands.get(flow);
    if (!hand) {
      if (this.hands.size >= MAX_CACHED_HANDS) this.hands.clear();
      hand = this.queuing ? dealHand(flowHash(flow), this.queues.length, Math.max(1, Math.min(this.queuing.handSize, this.queues.length))) : [0];
      this.hands.set(flow, hand);
    }
    return hand;
  }

  /** The hand's queue with the fewest requests waiting plus executing; the first such in hand order. */
  private queueFor(flow: string): Queue {
    let best: Queue | undefined;
    let bestLoad = Infinity;
    for (const i of this.handOf(flow)) {
      const q = this.queues[i]!;
      const load = q.waiting.length + q.executing;
      if (load < bestLoad) {
        best = q;
        bestLoad = load;
      }
    }
    return best!;
  }

  /** A seat now if one is free and nobody waits; undefined otherwise (then call enqueue). */
  tryStart(flow: string): Seat | undefined {
    if (this.executing >= this.seats || this.waiting > 0) return undefined;
    const q = this.seats === Infinity ? this.queues[0]! : this.queueFor(flow);
    if (q.nextStart < this.virtualTime) q.nextStart = this.virtualTime;
    return this.start(q);
  }

  /** Why a request of this flow would be refused rather than queued now, if it would. */
  refusal(flow: string): RejectReason | undefined {
    if (!this.queuing) return this.executing >= this.seats ? 'concurrency-limit' : undefined;
    return this.queueFor(flow).waiting.length >= this.queuing.queueLengthLimit ? 'queue-full' : undefined;
  }

  /** Waits for a seat (call after tryStart said no); refused at once when the flow's queue is full. */
  enqueue(flow: string): Wait {
    const started = this.tryStart(flow);
    if (started) return { outcome: Promise.resolve(started), cancel: () => undefined };
    const refused = this.refusal(flow);
    if (refused) return { outcome: Promise.resolve(refused), cancel: () => undefined };
    const q = this.queueFor(flow);
    let waiter!: Waiter;
    const outcome = new Promise<Seat | RejectReason>((resolve) => {
      waiter = { queue: q, done: resolve };
    });
    if (q.waiting.length === 0 && q.nextStart < this.virtualTime) q.nextStart = this.virtualTime;
    q.waiting.push(waiter);
    this.nonEmpty.add(q);
    this.waiting++;
    if (this.waitLimitMs > 0 && Number.isFinite(this.waitLimitMs)) {
      waiter.timer = setTimeout(() => this.remove(waiter, 'time-out'), this.waitLimitMs);
      waiter.timer.unref();
    }
    return { outcome, cancel: () => this.remove(waiter, 'cancelled') };
  }

  private remove(w: Waiter, reason: RejectReason): void {
    const i = w.queue.waiting.indexOf(w);
    if (i < 0) return; // already dispatched
    w.queue.waiting.splice(i, 1);
    if (w.queue.waiting.length === 0) this.nonEmpty.delete(w.queue);
    this.waiting--;
    if (w.timer) clearTimeout(w.timer);
    w.done(reason);
  }

  private start(q: Queue): Seat {
    this.executing++;
    q.executing++;
    this.virtualTime = q.nextStart;
    q.nextStart += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.executing--;
        q.executing--;
        this.dispatch();
      },
    };
  }

  /** Hands free seats to the heads of the least-served queues. */
  private dispatch(): void {
    while (this.executing < this.seats && this.waiting > 0) {
      let next: Queue | undefined;
      for (const q of this.nonEmpty) if (!next || q.nextStart < next.nextStart || (q.nextStart === next.nextStart && q.index < next.index)) next = q;
      if (!next) return;
      const w = next.waiting.shift()!;
      if (next.waiting.length === 0) this.nonEmpty.delete(next);
      this.waiting--;
      if (w.timer) clearTimeout(w.timer);
      w.done(this.start(next));
    }
  }
}
