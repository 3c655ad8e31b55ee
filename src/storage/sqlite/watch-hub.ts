// Watches on the SQLite backend. This process is the database's only writer,
// so a committed write is pushed to matching watchers straight from memory.
// A watch from an older revision first replays the log from the table in
// batches (synchronous reads, so the switch from replay to live happens in one
// tick with nothing missed or doubled), then joins the live fan-out.
import { StorageError } from '../errors.js';
import type { WatchEvent, WatchHandlers, WatchOptions, Watcher } from '../interface.js';
import { keyMatcher, prefixEnd } from '../keys.js';
import { DEFAULT_WATCH_QUEUE_LIMIT, WatchQueue } from '../watch-queue.js';
import { asText, type LogRow, type Statements } from './statements.js';

const REPLAY_BATCH = 500;

export interface HubSource {
  readonly statements: Statements;
  /** Revision of the newest committed write. */
  revision(): number;
  /** Oldest revision still readable (0 when never compacted). */
  compactedRevision(): number;
  /** Commits writes still in an open transaction, so the log holds no row past revision() (see group-commit.ts). */
  flush(): void;
}

interface LiveWatch {
  queue: WatchQueue;
  matches: (key: string) => boolean;
  /** Events at or below this revision were replayed (or precede a future start). */
  after: number;
}

export class WatchHub {
  private readonly live = new Set<LiveWatch>();
  /** A replay batch must fit in a watcher's queue, or a slow consumer could never start. */
  private readonly replayBatch: number;
  private readonly all = new Set<WatchQueue>();

  constructor(
    private readonly source: HubSource,
    private readonly queueLimit: number | undefined,
  ) {
    this.replayBatch = Math.max(1, Math.min(REPLAY_BATCH, Math.floor((queueLimit ?? DEFAULT_WATCH_QUEUE_LIMIT) / 2)));
  }

  /** Cheap test for writers: build an event only when someone listens. */
  get active(): boolean {
    return this.live.size > 0;
  }

  publish(event: WatchEvent): void {
    for (const w of this.live) {
      if (event.revision > w.after && w.matches(event.key)) w.queue.push(event);
    }
  }

  watch(opts: WatchOptions, handlers: WatchHandlers): Watcher {
    let entry: LiveWatch | null = null;
    let replayed = 0;
    const queue = new WatchQueue(handlers, {
      key: opts.key,
      limit: this.queueLimit,
      bookmarkIntervalMs: opts.bookmarkIntervalMs,
      progress: () => (entry ? this.source.revision() : replayed),
      onClose: () => {
        if (entry) this.live.delete(entry);
        this.all.delete(queue);
      },
    });
    this.all.add(queue);
    const matches = keyMatcher(opts.key, opts.recursive);
    const lower = opts.key;
    const upper = opts.recursive ? prefixEnd(opts.key) : opts.key + '\0';
    const from = opts.fromRevision > 0 ? opts.fromRevision : this.source.revision();
    replayed = from;

    const goLive = (): void => {
      entry = { queue, matches, after: replayed };
      this.live.add(entry);
    };

    const step = (): void => {
      if (queue.stopped) return;
      // Uncommitted rows are visible to this connection: commit them before reading the log.
      this.source.flush();
      const compacted = this.source.compactedRevision();
      if (replayed < compacted - 1) {
        queue.fail(new StorageError('Expired', opts.key, `watch of ${opts.key} from revision ${from}: required revision has been compacted (oldest ${compacted})`, compacted));
        return;
      }
      if (replayed >= this.source.revision()) {
        goLive();
        return;
      }
      const rows = this.source.statements.replay.all(replayed, lower, upper, this.replayBatch);
      for (const row of rows) queue.push(rowToEvent(row));
      if (rows.length < this.replayBatch) {
        // Read synchronously up to the newest commit: live events start right after.
        replayed = this.source.revision();
        goLive();
        return;
      }
      replayed = rows[rows.length - 1][0];
      // Let the watcher drain before reading more, so replay memory stays one batch.
      queue.whenIdle(step);
    };
    step();
    return queue;
  }

  /** End every watch, e.g. when the store closes. */
  closeAll(err: Error): void {
    for (const q of [...this.all]) q.fail(err, true);
    this.live.clear();
  }
}

export function rowToEvent(row: LogRow): WatchEvent {
  const [id, name, created, deleted, createRevision, value, oldValue] = row;
  const text = asText(value);
  if (deleted) {
    return { type: 'DELETED', key: name, value: text, revision: id, createRevision, prevValue: text };
  }
  if (created) return { type: 'ADDED', key: name, value: text, revision: id, createRevision: id };
  return { type: 'MODIFIED', key: name, value: text, revision: id, createRevision, prevValue: asText(oldValue) };
}
