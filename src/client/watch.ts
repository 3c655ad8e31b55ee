import { StringDecoder } from 'node:string_decoder';
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

/** Splits a byte stream into JSON values, one per line. */
export class NdjsonDecoder {
  private readonly decoder = new StringDecoder('utf8');
  private buf = '';

  /** Feed bytes; returns the complete values they finish. */
  push(chunk: Buffer | string): unknown[] {
    this.buf += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const out: unknown[] = [];
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line) out.push(JSON.parse(line));
    }
    return out;
  }

  /** Whatever remains when the stream ends (a final event without newline). */
  end(): unknown[] {
    const rest = (this.buf + this.decoder.end()).trim();
    this.buf = '';
    return rest ? [JSON.parse(rest)] : [];
  }
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
