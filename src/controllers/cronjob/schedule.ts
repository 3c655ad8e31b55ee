import { Cron } from 'croner';
import { cronError } from '../../api/validation/batch/cron.js';

// A CronJob's schedule as robfig/cron's ParseStandard reads it (what upstream
// links): five fields, the @hourly-style descriptors, @every DURATION, and an
// optional TZ=/CRON_TZ= prefix. The calendar arithmetic, including time zones
// and DST, is croner's; this file only maps robfig's dialect onto it.

export interface Schedule {
  /** The first activation strictly after `afterMs`, or undefined when there is none (e.g. February 31st). */
  next(afterMs: number): number | undefined;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration for the positive durations @every takes. */
function parseGoDuration(s: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos === s.length && s.length > 0 ? total : undefined;
}

class CronSchedule implements Schedule {
  private readonly cron: Cron;
  /**
   * Answers already computed. CronJobs sharing a schedule share this object, and
   * when many fall due together every sync asks the same few questions (the next
   * time after the last run, after that, after now); croner's calendar walk was a
   * sizeable part of the controller's CPU in such a burst.
   */
  private readonly memo = new Map<number, number | undefined>();
  constructor(expr: string, timezone: string | undefined) {
    // robfig reads '?' as '*'; croner would read it as "the current value".
    const fields = expr.trim().split(/\s+/).map((f) => f.replace(/\?/g, '*'));
    this.cron = new Cron(fields.join(' '), { paused: true, mode: '5-part', sloppyRanges: true, domAndDow: false, timezone });
  }
  next(afterMs: number): number | undefined {
    if (this.memo.has(afterMs)) return this.memo.get(afterMs);
    const d = this.cron.nextRun(new Date(afterMs));
    const t = d ? d.getTime() : undefined;
    if (this.memo.size >= 256) this.memo.clear();
    this.memo.set(afterMs, t);
    return t;
  }
}

/** robfig's ConstantDelaySchedule: whole seconds, at least one. */
class EverySchedule implements Schedule {
  constructor(private readonly delayMs: number) {}
  next(afterMs: number): number {
    return afterMs - (afterMs % 1000) + this.delayMs;
  }
}

/** Parses a schedule; throws an Error carrying robfig's message when it is not one. */
export function parseSchedule(spec: string, timeZone?: string): Schedule {
  const err = cronError(spec);
  if (err) throw new Error(err);
  let s = spec.trim();
  let tz = timeZone;
  const m = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(s);
  if (m) {
    tz = m[1];
    s = m[2]!.trim();
  }
  if (tz !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
    } catch {
      throw new Error(`provided bad location ${tz}: unknown time zone ${tz}`);
    }
  }
  if (s.startsWith('@every ')) {
    const ms = parseGoDuration(s.slice(7).trim());
    if (ms === undefined) throw new Error(`failed to parse duration ${s}`);
    return new EverySchedule(Math.max(1000, Math.round(ms / 1000) * 1000));
  }
  return new CronSchedule(DESCRIPTORS[s] ?? s, tz);
}
