import { PerformanceObserver, constants } from 'node:perf_hooks';

// The nursery hold (lean-start.ts) and the memory reducer's assist
// (idle-reducer.ts) both judge the process by its collections in each
// second: one GC observer and one 1 s timer serve both, and stop when
// neither listens any more.

/** What happened in one second. */
export interface GcSecond {
  /** Seconds since the count started. */
  now: number;
  scavenges: number;
  /** Mark-compacts started by anything but the memory reducer. */
  markCompacts: number;
  /** The memory reducer's mark-compacts. */
  reductions: number;
}

type Listener = (second: GcSecond) => void;

const listeners = new Set<Listener>();
let observer: PerformanceObserver | undefined;
let timer: NodeJS.Timeout | undefined;
let now = 0;
let current: GcSecond = { now: 0, scavenges: 0, markCompacts: 0, reductions: 0 };

function start(): void {
  now = 0;
  current = { now: 0, scavenges: 0, markCompacts: 0, reductions: 0 };
  observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const detail = (e as unknown as { detail?: { kind?: number; flags?: number } }).detail;
      if (detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) current.scavenges++;
      else if (detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        // The reducer's collections are the ones asked to collect all external memory.
        if ((detail.flags ?? 0) & constants.NODE_PERFORMANCE_GC_FLAGS_ALL_EXTERNAL_MEMORY) current.reductions++;
        else current.markCompacts++;
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  timer = setInterval(() => {
    const second = current;
    second.now = ++now;
    current = { now, scavenges: 0, markCompacts: 0, reductions: 0 };
    // A copy: a listener may stop listening from inside its call.
    for (const fn of [...listeners]) fn(second);
  }, 1000);
  timer.unref();
}

/** Calls fn once a second with that second's collections; returns the function that stops it. */
export function everyGcSecond(fn: Listener): () => void {
  const entry: Listener = (s) => fn(s);
  if (listeners.size === 0) start();
  listeners.add(entry);
  return () => {
    if (!listeners.delete(entry) || listeners.size > 0) return;
    clearInterval(timer);
    observer?.disconnect();
    timer = undefined;
    observer = undefined;
  };
}
