// Container logs from docker's json-file driver, read through the API (so
// they work for exited containers too) and rewritten into the seam's format:
// the text alone, or `<RFC3339Nano> <stream> <text>` per line with timestamps.
import { once } from 'node:events';
import type { LogOptions } from '../interface.js';
import type { DockerClient } from './client.js';
import type { DockerContainerInspect } from './api-types.js';
import { Demuxer, type StreamName } from './demux.js';
import { mapped } from './errors.js';

/** Docker's `since`: seconds with a nanosecond fraction. */
export function sinceParam(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  return `${seconds}.${String(Math.round(nanos)).padStart(9, '0')}`;
}

/**
 * Formats docker log payloads. Docker prefixes every log entry with its
 * timestamp when asked; entries longer than the driver's buffer arrive in
 * pieces, and only the first piece of a line gets the `<ts> <stream>` prefix.
 */
export class LogFormatter {
  private readonly atLineStart: Record<StreamName, boolean> = { stdin: true, stdout: true, stderr: true };

  constructor(private readonly timestamps: boolean) {}

  entry(stream: StreamName, payload: Buffer): Buffer {
    if (!this.timestamps) return payload;
    const space = payload.indexOf(0x20);
    const ts = space > 0 ? payload.subarray(0, space).toString('ascii') : '';
    const text = space > 0 ? payload.subarray(space + 1) : payload;
    const prefix = this.atLineStart[stream] ? `${ts} ${stream} ` : '';
    this.atLineStart[stream] = text.length > 0 && text[text.length - 1] === 0x0a;
    return prefix ? Buffer.concat([Buffer.from(prefix), text]) : text;
  }
}

/** Splits a raw (tty) stream with timestamps into entries: one per line. */
class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer, emit: (line: Buffer) => void): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let nl: number;
    while ((nl = this.pending.indexOf(0x0a)) >= 0) {
      emit(this.pending.subarray(0, nl + 1));
      this.pending = this.pending.subarray(nl + 1);
    }
  }

  flush(emit: (line: Buffer) => void): void {
    if (this.pending.length) emit(this.pending);
    this.pending = Buffer.alloc(0);
  }
}

export async function containerLogs(
  client: DockerClient,
  id: string,
  opts: LogOptions,
  out: NodeJS.WritableStream,
  signal?: AbortSignal,
): Promise<void> {
  if (signal?.aborted) return;
  const inspect = await mapped('Unavailable', `container ${id}`, () =>
    client.call<DockerContainerInspect>('GET', `/containers/${encodeURIComponent(id)}/json`),
  );
  const query = {
    stdout: true,
    stderr: true,
    timestamps: !!opts.timestamps,
    follow: !!opts.follow,
    tail: opts.tailLines === undefined || opts.tailLines < 0 ? 'all' : opts.tailLines,
    since: opts.sinceMs ? sinceParam(opts.sinceMs) : undefined,
  };
  const local = new AbortController();
  const abort = (): void => local.abort();
  signal?.addEventListener('abort', abort, { once: true });
  try {
    const res = await mapped('Unavailable', `logs of container ${id}`, () =>
      client.send('GET', `/containers/${encodeURIComponent(id)}/logs`, { query, signal: local.signal }),
    );
    const formatter = new LogFormatter(!!opts.timestamps);
    let budget = opts.limitBytes && opts.limitBytes > 0 ? opts.limitBytes : Infinity;
    const ready: Buffer[] = [];
    const take = (buf: Buffer): void => {
      if (budget <= 0 || !buf.length) return;
      const piece = buf.length > budget ? buf.subarray(0, budget) : buf;
      budget -= piece.length;
      ready.push(piece);
    };
    const tty = inspect.Config.Tty;
    const demux = new Demuxer((stream, payload) => take(formatter.entry(stream, payload)));
    const lines = new LineSplitter();
    const onRaw = (chunk: Buffer): void => {
      if (!opts.timestamps) take(chunk);
      else lines.push(chunk, (line) => take(formatter.entry('stdout', line)));
    };
    for await (const chunk of res) {
      if (tty) onRaw(chunk as Buffer);
      else demux.push(chunk as Buffer);
      await writeAll(out, ready.splice(0), local.signal);
      if (budget <= 0) break;
    }
    if (tty && opts.timestamps) lines.flush((line) => take(formatter.entry('stdout', line)));
    await writeAll(out, ready.splice(0), local.signal);
    if (budget <= 0) local.abort();
  } catch (err) {
    if (local.signal.aborted) return;
    throw err;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}

async function writeAll(out: NodeJS.WritableStream, chunks: Buffer[], signal: AbortSignal): Promise<void> {
  for (const chunk of chunks) {
    // Respect the reader's pace: a slow kubectl must not make us buffer a whole log.
    if (!out.write(chunk)) await once(out as unknown as NodeJS.EventEmitter, 'drain', { signal });
  }
}
