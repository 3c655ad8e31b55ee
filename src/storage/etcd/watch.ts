// etcd watches, multiplexed over one gRPC Watch stream per store. We speak the
// stream protocol directly (not etcd3's Watcher) to see what the protocol
// says: compact_revision on a canceled watch becomes Expired with the oldest
// revision, progress notifications become bookmarks, and after a broken
// stream every watch resumes exactly after the last revision it delivered.
import type { IDuplexStream, IEvent, IWatchRequest, IWatchResponse, WatchClient } from 'etcd3';
import { StorageError } from '../errors.js';
import type { WatchEvent, WatchHandlers, WatchOptions, Watcher } from '../interface.js';
import { prefixEnd } from '../keys.js';
import { WatchQueue } from '../watch-queue.js';
import { logger } from '../../util/log.js';

const log = logger('storage');

interface EtcdWatch {
  id: number;
  key: string;
  request: { key: Buffer; range_end?: Buffer };
  queue: WatchQueue;
  /** Every event up to this revision has been queued (0: not known yet, "from now"). */
  progress: number;
  created: boolean;
}

export class EtcdWatchManager {
  private stream: IDuplexStream<IWatchRequest, IWatchResponse> | null = null;
  private connecting = false;
  private closed = false;
  private nextId = 1;
  private backoffMs = 100;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly watches = new Map<number, EtcdWatch>();
  /** Highest compact_revision etcd has reported, for Expired errors. */
  compactedRevision = 0;

  constructor(
    private readonly client: WatchClient,
    /** Prepended to every key in etcd (the store's namespace). */
    private readonly namespace: string,
    private readonly queueLimit: number | undefined,
  ) {}

  watch(opts: WatchOptions, handlers: WatchHandlers): Watcher {
    const id = this.nextId++;
    const full = this.namespace + opts.key;
    const w: EtcdWatch = {
      id,
      key: opts.key,
      request: opts.recursive
        ? { key: Buffer.from(full), range_end: Buffer.from(prefixEnd(full)) }
        : { key: Buffer.from(full) },
      progress: opts.fromRevision > 0 ? opts.fromRevision : 0,
      created: false,
      queue: new WatchQueue(handlers, {
        key: opts.key,
        limit: this.queueLimit,
        bookmarkIntervalMs: opts.bookmarkIntervalMs,
        progress: () => w.progress,
        onClose: () => this.detach(w),
      }),
    };
    this.watches.set(id, w);
    if (this.stream) this.create(w);
    else this.connect();
    return w.queue;
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const w of [...this.watches.values()]) {
      w.queue.fail(new StorageError('Unavailable', w.key, 'storage closed'), true);
    }
    this.watches.clear();
    this.endStream();
  }

  private detach(w: EtcdWatch): void {
    if (!this.watches.delete(w.id)) return;
    if (this.stream && w.created) this.stream.write({ cancel_request: { watch_id: w.id } });
    if (this.watches.size === 0) this.endStream();
  }

  private endStream(): void {
    const s = this.stream;
    this.stream = null;
    if (s) {
      s.on('error', () => undefined);
      s.end();
    }
  }

  private create(w: EtcdWatch): void {
    this.stream?.write({
      create_request: {
        ...w.request,
        // Resume strictly after what was delivered; 0 asks etcd for "from now".
        start_revision: w.progress > 0 ? w.progress + 1 : 0,
        prev_kv: true,
        progress_notify: true,
        watch_id: w.id,
      },
    });
  }

  private connect(): void {
    if (this.connecting || this.stream || this.closed) return;
    this.connecting = true;
    this.client.watch().then(
      (stream) => {
        this.connecting = false;
        if (this.closed || this.watches.size === 0) {
          stream.on('error', () => undefined);
          stream.end();
          return;
        }
        this.stream = stream;
        // Listeners check identity: a replaced stream's late messages are ignored.
        stream.on('data', (res: IWatchResponse) => {
          if (this.stream === stream) this.onResponse(res);
        });
        stream.on('error', (err: Error) => this.onBroken(stream, err));
        stream.on('end', () => this.onBroken(stream, new Error('watch stream ended')));
        for (const w of this.watches.values()) {
          w.created = false;
          this.create(w);
        }
      },
      (err: unknown) => {
        this.connecting = false;
        this.scheduleReconnect(err);
      },
    );
  }

  private onBroken(stream: IDuplexStream<IWatchRequest, IWatchResponse>, err: unknown): void {
    if (this.stream !== stream) return;
    this.stream = null;
    this.scheduleReconnect(err);
  }

  private scheduleReconnect(err: unknown): void {
    if (this.closed || this.watches.size === 0 || this.retryTimer) return;
    log.warn({ err, retryMs: this.backoffMs }, 'etcd watch stream broken; reconnecting');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, 5000);
  }

  private onResponse(res: IWatchResponse): void {
    this.backoffMs = 100;
    const w = this.watches.get(Number(res.watch_id));
    if (!w) {
      // Stopped before etcd confirmed it: cancel it on the server too.
      if (res.created && !res.canceled) this.stream?.write({ cancel_request: { watch_id: res.watch_id } });
      return;
    }
    const compactRev = Number(res.compact_revision);
    if (res.canceled || compactRev > 0) {
      this.watches.delete(w.id);
      if (compactRev > 0) {
        this.compactedRevision = Math.max(this.compactedRevision, compactRev);
        w.queue.fail(new StorageError('Expired', w.key, `watch of ${w.key}: required revision has been compacted (oldest ${compactRev})`, compactRev));
      } else {
        w.queue.fail(new StorageError('Unavailable', w.key, `etcd canceled the watch of ${w.key}: ${res.cancel_reason || 'no reason given'}`));
      }
      return;
    }
    const headerRev = Number(res.header.revision);
    if (res.created) {
      w.created = true;
      // A "from now" watch starts right after the revision etcd created it at.
      if (w.progress === 0) w.progress = headerRev;
      return;
    }
    if (res.events.length === 0) {
      // A progress notification: the watch has seen everything up to here.
      if (headerRev > w.progress) w.progress = headerRev;
      return;
    }
    const cut = this.namespace.length;
    for (const ev of res.events) {
      const event = toWatchEvent(ev, cut);
      // Defensive: never re-deliver below what was delivered (one txn may
      // hold several events of the same revision, so equal passes).
      if (event.revision < w.progress) continue;
      w.progress = event.revision;
      w.queue.push(event);
    }
  }
}

function toWatchEvent(ev: IEvent, cut: number): WatchEvent {
  const kv = ev.kv;
  const key = kv.key.toString('utf8').slice(cut);
  const revision = Number(kv.mod_revision);
  const prev = ev.prev_kv;
  if (ev.type === 'Delete') {
    const value = prev ? prev.value.toString('utf8') : '';
    return { type: 'DELETED', key, value, revision, createRevision: prev ? Number(prev.create_revision) : 0, prevValue: value };
  }
  const createRevision = Number(kv.create_revision);
  const value = kv.value.toString('utf8');
  if (createRevision === revision) return { type: 'ADDED', key, value, revision, createRevision };
  const event: WatchEvent = { type: 'MODIFIED', key, value, revision, createRevision };
  if (prev) event.prevValue = prev.value.toString('utf8');
  return event;
}
