import { setRuntimeFlag } from './lean-start.js';
import { everyGcSecond, type GcSecond } from './gc-seconds.js';

export type { GcSecond } from './gc-seconds.js';

// V8's memory reducer is what gives an idle heap's empty pages back to the system: a few
// memory-reducing mark-compacts, started by a timer 8 s after a mark-compact if the mutator then
// looks idle. Its idleness test compares the old generation's allocation rate with the
// mark-compact speed V8 estimated from the collections so far; an idle `k8ts server` (leases,
// node status, informer resyncs) failed it at every check ("Memory reducer: high alloc" at 8, 16
// and 24 s with --trace-gc-verbose), so start-up's garbage, 5-7 MB of heap pages, stayed until
// the reducer's watchdog 100 s after the last mark-compact. The reducer also starts when V8
// optimizes for size, whatever the allocation rate. So while the process is quiet that flag is
// set, and it is put back as soon as the reducer has done its collections, after a bounded
// window, or at once when the process gets busy: the flag never stays on under load.

/** At most this many scavenges in a second count as a quiet second. */
export const QUIET_SCAVENGES_PER_SECOND = 2;
/** Quiet seconds in a row before the window opens. */
export const QUIET_SECONDS = 2;
/** The reducer's timer fires at most 8 s after it started waiting, and its 1-3 collections are 0.5 s apart. */
export const WINDOW_SECONDS = 20;
/** Seconds after the reducer's last collection before the window closes (it waits 0.5 s between them). */
export const SETTLE_SECONDS = 2;

export interface ReducerAssist {
  /** A mark-compact happened since the last window: the reducer is likely waiting for its timer. */
  armed: boolean;
  quietSeconds: number;
  /** Second the window opened, or null while it is closed. */
  openedAt: number | null;
  /** Second of the reducer's latest collection in this window. */
  reducedAt: number | null;
}

export function initialAssist(): ReducerAssist {
  // Start-up always ends with a mark-compact behind it: the reducer is waiting.
  return { armed: true, quietSeconds: 0, openedAt: null, reducedAt: null };
}

/** One second of the assist: whether to open the window (set the flag), close it, or leave it. */
export function assistStep(s: ReducerAssist, sec: GcSecond): 'open' | 'close' | null {
  const quiet = sec.scavenges <= QUIET_SCAVENGES_PER_SECOND;
  s.quietSeconds = quiet ? s.quietSeconds + 1 : 0;
  if (s.openedAt === null) {
    // The reducer's own collections end in its done state: only an ordinary mark-compact sets it waiting again.
    if (sec.markCompacts > 0) s.armed = true;
    if (!s.armed || s.quietSeconds < QUIET_SECONDS) return null;
    s.armed = false;
    s.openedAt = sec.now;
    s.reducedAt = null;
    return 'open';
  }
  if (sec.reductions > 0) s.reducedAt = sec.now;
  const done = s.reducedAt !== null && sec.now - s.reducedAt >= SETTLE_SECONDS;
  if (!quiet || done || sec.now - s.openedAt >= WINDOW_SECONDS) {
    s.openedAt = null;
    // A window that ended without the reducer's collections (busy, or the reducer was not waiting)
    // is tried again at the next quiet stretch after a mark-compact.
    return 'close';
  }
  return null;
}

/** The command line's own --max-semi-space-size, which --optimize-for-size overrides by implication. */
function semiSpaceFlag(): string {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].filter((a) => /^--max[-_]semi[-_]space[-_]size=/.test(a)).at(-1);
  return given ?? '--max-semi-space-size=0';
}

/** Runs the assist for the rest of the process's life; returns a stop function. */
export function assistMemoryReducerWhenIdle(): () => void {
  const state = initialAssist();
  const close = (): void => {
    setRuntimeFlag('--no-optimize-for-size');
    setRuntimeFlag(semiSpaceFlag());
  };
  const stop = everyGcSecond((second) => {
    const step = assistStep(state, second);
    if (step === 'open') setRuntimeFlag('--optimize-for-size');
    else if (step === 'close') close();
  });
  return () => {
    stop();
    if (state.openedAt !== null) close();
  };
}
