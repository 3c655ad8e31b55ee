import type { DeleteOptions, KeyValue, ListOptions, ListResult, Store, UpdateFn, UpdateOptions, WatchEvent, WatchHandlers, WatchOptions, Watcher, WriteOptions } from './interface.js';
import { StorageError } from './errors.js';

// A Store that rewrites values on their way in and out (encryption at rest):
// the layers above see plaintext, the backend and its watch cache only ever
// hold what `toStorage` produced.

export interface ValueTransformer {
  /** Whether values under this key are transformed at all (cheap check). */
  applies(key: string): boolean;
  toStorage(key: string, value: string): string;
  fromStorage(key: string, value: string): string;
}

export class TransformingStore implements Store {
  constructor(
    private readonly inner: Store,
    private readonly t: ValueTransformer,
  ) {}

  private out(kv: KeyValue): KeyValue {
    return this.t.applies(kv.key) ? { ...kv, value: this.read(kv.key, kv.value) } : kv;
  }

  private read(key: string, value: string): string {
    try {
      return this.t.fromStorage(key, value);
    } catch (err) {
      throw new StorageError('Corrupt', key, `cannot decrypt the value stored at ${key}: ${(err as Error).message}`);
    }
  }

  private in(key: string, value: string): string {
    return this.t.applies(key) ? this.t.toStorage(key, value) : value;
  }

  async create(key: string, value: string, opts?: WriteOptions): Promise<KeyValue> {
    return { ...(await this.inner.create(key, this.in(key, value), opts)), value };
  }

  async get(key: string): Promise<KeyValue | null> {
    const kv = await this.inner.get(key);
    return kv && this.out(kv);
  }

  async list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    const r = await this.inner.list(prefix, opts);
    return { ...r, items: r.items.map((kv) => this.out(kv)) };
  }

  async update(key: string, value: string, expectedRevision: number, opts?: WriteOptions): Promise<KeyValue> {
    return { ...(await this.inner.update(key, this.in(key, value), expectedRevision, opts)), value };
  }

  async guaranteedUpdate(key: string, fn: UpdateFn, opts?: UpdateOptions): Promise<KeyValue> {
    // The caller's copy is plaintext; the store below holds ciphertext, so
    // for transformed keys the copy cannot stand in for a read.
    if (opts?.current && this.t.applies(key)) {
      const { current: _dropped, ...rest } = opts;
      opts = rest;
    }
    let plain = '';
    const kv = await this.inner.guaranteedUpdate(
      key,
      async (cur) => {
        plain = await fn(this.out(cur));
        return this.in(key, plain);
      },
      opts,
    );
    return this.out(kv);
  }

  async delete(key: string, opts?: DeleteOptions): Promise<KeyValue> {
    const pre = opts?.precondition;
    const kv = await this.inner.delete(key, pre ? { ...opts, precondition: (cur) => pre(this.out(cur)) } : opts);
    return this.out(kv);
  }

  watch(opts: WatchOptions, handlers: WatchHandlers): Watcher {
    // Triggers read events' values, which below this store are still encrypted.
    if (opts.trigger && this.t.applies(opts.key)) opts = { ...opts, trigger: undefined };
    return this.inner.watch(opts, {
      onEvent: (ev: WatchEvent) => {
        if (!this.t.applies(ev.key) || ev.type === 'BOOKMARK') return handlers.onEvent(ev);
        try {
          return handlers.onEvent({ ...ev, value: this.read(ev.key, ev.value), prevValue: ev.prevValue === undefined ? undefined : this.read(ev.key, ev.prevValue) });
        } catch (err) {
          handlers.onError(err as Error);
        }
      },
      onError: (err) => handlers.onError(err),
    });
  }

  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }

  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }

  count(prefix: string): Promise<number> {
    return this.inner.count(prefix);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
