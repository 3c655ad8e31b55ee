// Upstream's apiserver_flowcontrol_* families, counted in plain maps on the
// request path and copied into prom-client only when /metrics is scraped
// (a labelled prom-client update per request costs more than the rest of
// the bookkeeping). prom-client itself is loaded by the first scrape: an idle
// server that is never scraped does not keep its ~1.7 MB of heap.
import type { Registry } from 'prom-client';
import type { RejectReason } from './queue-set.js';

interface PairCounts {
  inqueue: number;
  executing: number;
  dispatched: number;
}

export class FlowcontrolStats {
  private readonly pairs = new Map<string, PairCounts>();
  private readonly rejected = new Map<string, number>();
  private readonly levels = new Map<string, { nominal: number; executing: () => number }>();

  private pair(level: string, schema: string): PairCounts {
    const key = `${level}\u0000${schema}`;
    let p = this.pairs.get(key);
    if (!p) {
      p = { inqueue: 0, executing: 0, dispatched: 0 };
      this.pairs.set(key, p);
    }
    return p;
  }

  describeLevel(level: string, nominal: number, executing: () => number): void {
    this.levels.set(level, { nominal, executing });
  }

  queued(level: string, schema: string, delta: 1 | -1): void {
    this.pair(level, schema).inqueue += delta;
  }

  started(level: string, schema: string): void {
    const p = this.pair(level, schema);
    p.executing++;
    p.dispatched++;
  }

  /** A watch: dispatched (counted) but holding no seat. */
  dispatchedOnly(level: string, schema: string): void {
    this.pair(level, schema).dispatched++;
  }

  finished(level: string, schema: string): void {
    this.pair(level, schema).executing--;
  }

  reject(level: string, schema: string, reason: RejectReason): void {
    const key = `${level}\u0000${schema}\u0000${reason}`;
    this.rejected.set(key, (this.rejected.get(key) ?? 0) + 1);
  }

  /** Snapshot for tests and logs: { 'level/schema': counts }, rejections keyed 'level/schema/reason'. */
  snapshot(): { pairs: Record<string, PairCounts>; rejected: Record<string, number> } {
    const pairs: Record<string, PairCounts> = {};
    for (const [k, v] of this.pairs) pairs[k.replace('\u0000', '/')] = { ...v };
    const rejected: Record<string, number> = {};
    for (const [k, v] of this.rejected) rejected[k.replaceAll('\u0000', '/')] = v;
    return { pairs, rejected };
  }

  /** A prom-client registry whose families read these counts when scraped. */
  async registry(): Promise<Registry> {
    const { Counter, Gauge, Registry } = await import('prom-client');
    const reg = new Registry();
    const eachPair = (f: (level: string, schema: string, p: PairCounts) => void): void => {
      for (const [k, p] of this.pairs) {
        const [level, schema] = k.split('\u0000') as [string, string];
        f(level, schema, p);
      }
    };
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- prom-client calls collect with the metric as this
    const stats = this;
    new Gauge({
      name: 'apiserver_flowcontrol_current_inqueue_requests',
      help: 'Number of requests currently pending in queues of the API Priority and Fairness subsystem',
      labelNames: ['priority_level', 'flow_schema'] as const,
      registers: [reg],
      collect() {
        this.reset();
        eachPair((priority_level, flow_schema, p) => this.set({ priority_level, flow_schema }, p.inqueue));
      },
    });
    new Gauge({
      name: 'apiserver_flowcontrol_current_executing_requests',
      help: 'Number of requests in initial (for a WATCH) or any (for a non-WATCH) execution stage in the API Priority and Fairness subsystem',
      labelNames: ['priority_level', 'flow_schema'] as const,
      registers: [reg],
      collect() {
        this.reset();
        eachPair((priority_level, flow_schema, p) => this.set({ priority_level, flow_schema }, p.executing));
      },
    });
    new Counter({
      name: 'apiserver_flowcontrol_dispatched_requests_total',
      help: 'Number of requests executed by API Priority and Fairness subsystem',
      labelNames: ['priority_level', 'flow_schema'] as const,
      registers: [reg],
      collect() {
        this.reset();
        eachPair((priority_level, flow_schema, p) => {
          if (p.dispatched > 0) this.inc({ priority_level, flow_schema }, p.dispatched);
        });
      },
    });
    new Counter({
      name: 'apiserver_flowcontrol_rejected_requests_total',
      help: 'Number of requests rejected by API Priority and Fairness subsystem',
      labelNames: ['priority_level', 'flow_schema', 'reason'] as const,
      registers: [reg],
      collect() {
        this.reset();
        for (const [k, v] of stats.rejected) {
          const [priority_level, flow_schema, reason] = k.split('\u0000') as [string, string, string];
          this.inc({ priority_level, flow_schema, reason }, v);
        }
      },
    });
    new Gauge({
      name: 'apiserver_flowcontrol_nominal_limit_seats',
      help: 'Nominal number of execution seats configured for each priority level',
      labelNames: ['priority_level'] as const,
      registers: [reg],
      collect() {
        this.reset();
        for (const [priority_level, l] of stats.levels) if (Number.isFinite(l.nominal)) this.set({ priority_level }, l.nominal);
      },
    });
    new Gauge({
      name: 'apiserver_flowcontrol_current_executing_seats',
      help: 'Concurrency (number of seats) occupied by the currently executing (initial stage for a WATCH, any stage otherwise) requests in the API Priority and Fairness subsystem',
      labelNames: ['priority_level'] as const,
      registers: [reg],
      collect() {
        this.reset();
        for (const [priority_level, l] of stats.levels) this.set({ priority_level }, l.executing());
      },
    });
    return reg;
  }
}
