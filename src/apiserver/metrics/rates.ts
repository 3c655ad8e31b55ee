// Turns two scrapes of a kubelet into usage, as metrics-server's storage
// does: CPU is the rise of the cumulative counter over the time between the
// points; memory is the latest working set. A container that started after
// the earlier scrape is measured from its start (its counter began at 0);
// a counter that went back (restart) has no rate until the next scrape.

export interface Point {
  /** Cumulative CPU, core-seconds. */
  cpu: number;
  /** Working set, bytes. */
  memory: number;
  /** When the reading was taken, ms. */
  ts: number;
  /** When the container started, ms. */
  start?: number;
}

export interface NodeScrape {
  node?: Point;
  /** "namespace/pod" → container → point. */
  pods: Map<string, Map<string, Point>>;
  /** When the scrape finished, ms. */
  at: number;
}

export interface Usage {
  /** Nanocores. */
  cpu: number;
  /** Bytes. */
  memory: number;
  /** The later point's time. */
  ts: number;
  /** The time between the two points, ms. */
  windowMs: number;
}

/** prevAt: when the previous scrape of the node was taken (a container started after it is new). */
export function rate(last: Point, prev: Point | undefined, prevAt?: number): Usage | undefined {
  let base = prev;
  const restarted = !!base && base.start !== undefined && last.start !== undefined && base.start !== last.start;
  const fresh = last.start !== undefined && prevAt !== undefined && last.start > prevAt;
  if (restarted || (!base && fresh)) {
    // A container newer than the previous point: its counter began at 0 when it started.
    base = last.start! < last.ts ? { cpu: 0, memory: 0, ts: last.start! } : undefined;
  }
  if (!base || last.ts <= base.ts || last.cpu < base.cpu) return undefined;
  return { cpu: Math.round(((last.cpu - base.cpu) / ((last.ts - base.ts) / 1000)) * 1e9), memory: last.memory, ts: last.ts, windowMs: last.ts - base.ts };
}

/** Usage of every container of a pod, or undefined when any container has none yet (metrics-server leaves such pods out). */
export function podUsage(last: Map<string, Point>, prev: Map<string, Point> | undefined, prevAt?: number): Map<string, Usage> | undefined {
  const out = new Map<string, Usage>();
  for (const [name, p] of last) {
    const u = rate(p, prev?.get(name), prevAt);
    if (!u) return undefined;
    out.set(name, u);
  }
  return out.size ? out : undefined;
}
