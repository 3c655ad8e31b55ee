// A checker for the standard 5-field cron syntax CronJobs accept (robfig/cron
// ParseStandard), returning that library's error text, or '' when valid.

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTHS = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DOWS = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const FIELDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS },
  { min: 0, max: 6, names: DOWS },
];
const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

function parseInt10(expr: string): number | string {
  if (!/^[+-]?\d+$/.test(expr)) return `failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`;
  return Number(expr);
}

function value(expr: string, b: Bounds): number | string {
  const named = b.names?.[expr.toLowerCase()];
  return named !== undefined ? named : parseInt10(expr);
}

function checkRange(expr: string, b: Bounds): string {
  const slash = expr.split('/');
  if (slash.length > 2) return `too many slashes: ${expr}`;
  const dash = slash[0].split('-');
  if (dash.length > 2) return `too many hyphens: ${expr}`;
  let start: number;
  let end: number;
  if (slash[0] === '*' || slash[0] === '?') {
    start = b.min;
    end = b.max;
  } else {
    const s = value(dash[0], b);
    if (typeof s === 'string') return s;
    start = s;
    if (dash.length === 2) {
      const e = value(dash[1], b);
      if (typeof e === 'string') return e;
      end = e;
    } else {
      end = start;
    }
  }
  if (slash.length === 2) {
    const step = parseInt10(slash[1]);
    if (typeof step === 'string') return step;
    if (step <= 0) return `step of range should be a positive number: ${expr}`;
    if (dash.length === 1 && slash[0] !== '*' && slash[0] !== '?') end = b.max;
  }
  if (start < b.min) return `beginning of range (${start}) below minimum (${b.min}): ${expr}`;
  if (end > b.max) return `end of range (${end}) above maximum (${b.max}): ${expr}`;
  if (start > end) return `beginning of range (${start}) beyond end of range (${end}): ${expr}`;
  return '';
}

export function cronError(spec: string): string {
  let s = spec.trim();
  if (s.startsWith('TZ=') || s.startsWith('CRON_TZ=')) {
    const i = s.indexOf(' ');
    s = i < 0 ? '' : s.slice(i).trim();
  }
  if (s.startsWith('@')) {
    if (DESCRIPTORS.has(s)) return '';
    if (s.startsWith('@every ')) return /^\d+(\.\d+)?(ns|us|µs|ms|s|m|h)(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))*$/.test(s.slice(7).trim()) ? '' : `failed to parse duration ${s}: time: invalid duration ${JSON.stringify(s.slice(7).trim())}`;
    return `unrecognized descriptor: ${s}`;
  }
  const fields = s.split(/\s+/).filter(Boolean);
  if (fields.length === 0) return 'empty spec string';
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`;
  for (let i = 0; i < 5; i++) {
    for (const part of fields[i].split(',')) {
      const err = checkRange(part, FIELDS[i]);
      if (err) return err;
    }
  }
  return '';
}
