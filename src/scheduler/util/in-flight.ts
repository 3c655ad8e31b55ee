// A bound on concurrent asynchronous work. The binding cycle uses it so that
// bindings pipeline over a few kept-alive connections: each request beyond
// the free sockets would otherwise open a new TLS connection, which costs
// the scheduler and the API server more than the binding itself.

export class InFlightLimit {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly max: number) {}

  get inFlight(): number {
    return this.active;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so the count never dips and lets a newcomer overtake.
      if (next) next();
      else this.active--;
    }
  }
}
