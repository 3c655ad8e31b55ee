// Durations appear in user-visible strings ("back-off 1m20s restarting ...",
// "Successfully pulled image ... in 1.503s"), which upstream renders with Go's
// time.Duration.String(); kubectl users and scripts match on that form.

/** Go's time.Duration.String() for a duration in milliseconds (sub-ms precision kept to ns). */
export function goDuration(ms: number): string {
  let ns = Math.round(ms * 1e6);
  if (ns === 0) return '0s';
  const neg = ns < 0;
  if (neg) ns = -ns;
  let out: string;
  if (ns < 1e3) out = `${ns}ns`;
  else if (ns < 1e6) out = `${trimFrac(ns / 1e3)}µs`;
  else if (ns < 1e9) out = `${trimFrac(ns / 1e6)}ms`;
  else {
    const totalSec = ns / 1e9;
    const h = Math.floor(totalSec / 3600);
    const m = Math.floor((totalSec - h * 3600) / 60);
    const s = totalSec - h * 3600 - m * 60;
    const sec = `${trimFrac(Number(s.toFixed(9)))}s`;
    out = h > 0 ? `${h}h${m}m${sec}` : m > 0 ? `${m}m${sec}` : sec;
  }
  return neg ? `-${out}` : out;
}

function trimFrac(n: number): string {
  return n.toFixed(9).replace(/\.?0+$/, '');
}

/** Parses the flag forms upstream accepts: "10s", "1m30s", "500ms", "2h". Bare numbers are seconds. */
export function parseGoDuration(s: string): number {
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * units[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (consumed !== t.length || t.length === 0) throw new Error(`invalid duration "${s}"`);
  return total;
}
