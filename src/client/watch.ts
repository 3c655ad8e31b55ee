import type { WatchEventObject, KubeObject } from '../api/types.js';
import type { Transport } from './transport.js';
import { isStatus, statusToError } from './status.js';

// A watch is a chunked response of newline-delimited JSON events. Chunks cut
// events (and multi-byte characters) anywhere, so bytes are decoded and
// buffered until a full line is present. An ERROR event carries a Status and
// ends the watch with the matching StatusError (410 Expired → re-list).

export interface WatchHandle {
  /** End the watch; `done` then resolves. */
  stop(): void;
  /** Resolves when the server ends the watch or stop() is called; rejects on ERROR events and broken connections. */
  done: Promise<void>;
}

export type WatchCallback<T> = (event: WatchEventObject<T>) => void;

/**
 * Splits a byte stream into JSON values, one per line. Lines are cut from
 * the bytes and each decoded once: a newline byte never occurs inside a
 * multi-byte UTF-8 character, so no decoder state is needed, and a chunk
 * of whole events (the usual case) is not copied into a buffer string first.
 */
export class NdjsonDecoder {
  /** The bytes of a line not finished yet. */
  private rest: Buffer[] = [];

  /** Feed bytes; returns the complete values they finish. */
  push(chunk: Buffer | string): unknown[] {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const out: unknown[] = [];
    let start = 0;
    let nl = b.indexOf(10);
    if (nl >= 0 && this.rest.length > 0) {
      this.rest.push(b.subarray(0, nl));
      const line = Buffer.concat(this.rest);
      this.rest = [];
      parseLine(line, 0, line.length, out);
      start = nl + 1;
      nl = b.indexOf(10, start);
    }
    while (nl >= 0) {
      parseLine(b, start, nl, out);
      start = nl + 1;
      nl = b.indexOf(10, start);
    }
    if (start < b.length) this.rest.push(b.subarray(start));
    return out;
  }

  /** Whatever remains when the stream ends (a final event without newline). */
  end(): unknown[] {
    const line = Buffer.concat(this.rest);
    this.rest = [];
    const out: unknown[] = [];
    parseLine(line, 0, line.length, out);
    return out;
  }
}

function parseLine(b: Buffer, start: number, end: number, out: unknown[]): void {
  const line = b.toString('utf8', start, end).trim();
  if (line) out.push(JSON.parse(line));
}

export function openWatch<T = KubeObject>(transport: Transport, path: string, onEvent: WatchCallback<T>): WatchHandle {
  const ac = new AbortController();
  let stopped = false;
  const done = (async () => {
    let opened;
    try {
      opened = await transport.stream(path, { signal: ac.signal });
    } catch (err) {
      if (stopped) return;
      throw err;
    }
    const { res, req } = opened;
    const decoder = new NdjsonDecoder();
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        if (err && !stopped) reject(err);
        else resolve();
        if (!res.complete) req.destroy();
      };
      const deliver = (values: unknown[]): void => {
        for (const v of values) {
          if (settled) return;
          const ev = v as WatchEventObject<T>;
          if (ev.type === 'ERROR') {
            const obj: unknown = ev.object;
            finish(isStatus(obj) ? statusToError(obj) : new Error(`watch error event: ${JSON.stringify(obj)}`));
            return;
          }
          onEvent(ev);
        }
      };
      res.on('data', (chunk: Buffer) => {
        try {
          deliver(decoder.push(chunk));
        } catch (err) {
          finish(err);
        }
      });
      res.once('end', () => {
        try {
          deliver(decoder.end());
          finish(res.complete ? undefined : new Error('watch stream ended before completion'));
        } catch (err) {
          finish(err);
        }
      });
      res.once('aborted', () => finish(Object.assign(new Error('watch connection aborted'), { code: 'ECONNRESET' })));
      res.once('error', (err) => finish(err));
      req.once('error', (err) => finish(err));
      res.once('close', () => finish(res.complete ? undefined : Object.assign(new Error('watch connection closed'), { code: 'ECONNRESET' })));
      ac.signal.addEventListener('abort', () => finish(), { once: true });
    });
  })();
  // Callers that only stop() a watch must not crash the process with an unhandled rejection.
  done.catch(() => undefined);
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      ac.abort();
    },
    done,
  };
}
