// Container logs in the CRI format the kubelet and `kubectl logs` expect:
// each line of the log file is `<RFC3339Nano> <stream> <F|P> <text>`.
// Containers write plain bytes to files of their own (so their output
// never depends on this process staying alive); the runtime turns complete
// lines into CRI lines and remembers how far it got, so a restarted
// runtime carries on where the last one stopped.
import { once } from 'node:events';
import { appendFile, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LogOptions } from '../interface.js';

export type StreamName = 'stdout' | 'stderr';

/** Lines longer than this are cut into partial (P) entries, as containerd does. */
const MAX_LINE = 16 * 1024;

export function rfc3339Nano(ms: number): string {
  const whole = Math.floor(ms);
  const iso = new Date(whole).toISOString();
  const nanos = Math.round((ms - whole) * 1e6) + (whole % 1000) * 1e6;
  return `${iso.slice(0, 19)}.${String(nanos).padStart(9, '0')}Z`;
}

const now = (): number => performance.timeOrigin + performance.now();

/**
 * Converts what a stream's raw file holds past `offset` into CRI lines
 * appended to logPath; returns the new offset. An unfinished last line is
 * left for the next call unless `final` (the container has exited).
 */
export async function pumpStream(rawPath: string, stream: StreamName, offset: number, logPath: string, final: boolean): Promise<number> {
  let fh;
  try {
    fh = await open(rawPath, 'r');
  } catch {
    return offset;
  }
  try {
    const size = (await fh.stat()).size;
    if (size <= offset) return offset;
    const buf = Buffer.alloc(size - offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    const data = buf.subarray(0, bytesRead);
    const ts = rfc3339Nano(now());
    const out: string[] = [];
    let pos = 0;
    while (pos < data.length) {
      const nl = data.indexOf(0x0a, pos);
      const end = nl < 0 ? data.length : nl;
      if (end - pos > MAX_LINE) {
        out.push(`${ts} ${stream} P ${data.subarray(pos, pos + MAX_LINE).toString('utf8')}\n`);
        pos += MAX_LINE;
        continue;
      }
      if (nl < 0 && !final) break;
      out.push(`${ts} ${stream} F ${data.subarray(pos, end).toString('utf8')}\n`);
      pos = nl < 0 ? data.length : nl + 1;
    }
    if (out.length) {
      await mkdir(dirname(logPath), { recursive: true });
      await appendFile(logPath, out.join(''));
    }
    return offset + pos;
  } finally {
    await fh.close();
  }
}

interface Entry {
  ts: string;
  ms: number;
  stream: string;
  text: string;
}

/** Parses CRI lines, joining partial entries; `rest` is an unfinished trailing line to retry later. */
export function parseCri(text: string): { entries: Entry[]; consumed: number } {
  const entries: Entry[] = [];
  let pending: Entry | undefined;
  let pos = 0;
  let consumed = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) break;
    const line = text.slice(pos, nl);
    pos = nl + 1;
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    const c = line.indexOf(' ', b + 1);
    if (a < 0 || b < 0) continue;
    const ts = line.slice(0, a);
    const stream = line.slice(a + 1, b);
    const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
    const content = c < 0 ? '' : line.slice(c + 1);
    if (pending) pending.text += content;
    else pending = { ts, ms: Date.parse(ts), stream, text: content };
    if (tag !== 'P') {
      entries.push(pending);
      pending = undefined;
      consumed = pos;
    }
  }
  return { entries, consumed };
}

export interface FollowSource {
  /** Whether more output may still come. */
  running(): boolean;
  /** Resolves after new output may have been written (or soon, to re-check). */
  changed(signal?: AbortSignal): Promise<void>;
}

/** Writes a CRI log file to `out` per LogOptions; follows it while the source runs. */
export async function readCriLog(logPath: string, opts: LogOptions, out: NodeJS.WritableStream, source: FollowSource, signal?: AbortSignal): Promise<void> {
  let budget = opts.limitBytes && opts.limitBytes > 0 ? opts.limitBytes : Infinity;
  const emit = async (entries: Entry[]): Promise<boolean> => {
    for (const e of entries) {
      if (opts.sinceMs !== undefined && e.ms < opts.sinceMs) continue;
      let line = (opts.timestamps ? `${e.ts} ${e.stream} ${e.text}` : e.text) + '\n';
      if (Buffer.byteLength(line) > budget) line = Buffer.from(line).subarray(0, budget).toString('utf8');
      budget -= Buffer.byteLength(line);
      if (!out.write(line)) await once(out as unknown as NodeJS.EventEmitter, 'drain', signal ? { signal } : {}).catch(() => undefined);
      if (budget <= 0) return false;
    }
    return true;
  };
  const text = await readFile(logPath, 'utf8').catch(() => '');
  const first = parseCri(text);
  let offset = Buffer.byteLength(text.slice(0, first.consumed));
  let entries = first.entries;
  if (opts.tailLines !== undefined && opts.tailLines >= 0) entries = opts.tailLines === 0 ? [] : entries.slice(-opts.tailLines);
  if (!(await emit(entries)) || !opts.follow) return;
  for (;;) {
    if (signal?.aborted) return;
    const wasRunning = source.running();
    if (wasRunning) await source.changed(signal);
    if (signal?.aborted) return;
    const more = await readFrom(logPath, offset);
    const parsed = parseCri(more);
    offset += Buffer.byteLength(more.slice(0, parsed.consumed));
    if (!(await emit(parsed.entries))) return;
    if (!wasRunning) return;
  }
}

async function readFrom(path: string, offset: number): Promise<string> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = (await fh.stat()).size;
    if (size <= offset) return '';
    const buf = Buffer.alloc(size - offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}
