// Reads the few families of the kubelet's /metrics/resource that resource
// metrics need, from the Prometheus text format: one sample a line,
// `name{label="value",...} value [timestamp-ms]`.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** ms since epoch, when the line has one. */
  timestampMs?: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?\s*$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/g;

function unescape(v: string): string {
  return v.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

/** The samples of the named families; comments, other families and malformed lines are skipped. */
export function parseSamples(text: string, names: ReadonlySet<string>): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m || !names.has(m[1]!)) continue;
    const labels: Record<string, string> = {};
    if (m[2]) for (const l of m[2].matchAll(LABEL)) labels[l[1]!] = unescape(l[2]!);
    const value = parseValue(m[3]!);
    if (Number.isNaN(value)) continue;
    out.push({ name: m[1]!, labels, value, ...(m[4] !== undefined ? { timestampMs: Number(m[4]) } : {}) });
  }
  return out;
}
