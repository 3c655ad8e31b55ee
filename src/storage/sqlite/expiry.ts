// TTL keys on SQLite: a row's lease column holds its expiry time (ms since
// the epoch). A sweeper deletes expired keys through the ordinary delete path,
// so watchers see DELETED events exactly as etcd's lease revocation produces.
import { logger } from '../../util/log.js';
import type { Statements } from './statements.js';
import { L_DELETED, L_ID } from './statements.js';

const log = logger('storage');
const SWEEP_BATCH = 256;

export class ExpirySweeper {
  private timer: NodeJS.Timeout | null = null;
  private sweeping = false;

  constructor(
    private readonly st: Statements,
    /** Delete the key if its newest row is still `revision`. */
    private readonly expire: (key: string, revision: number) => void,
    private readonly now: () => number,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.sweep(), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass; batches are separated by a macrotask so writers interleave. */
  sweep(): void {
    if (this.sweeping || !this.timer) return;
    this.sweeping = true;
    try {
      const rows = this.st.expired.all(this.now(), SWEEP_BATCH);
      for (const [id, name] of rows) {
        const latest = this.st.latest.get(name);
        if (latest && latest[L_ID] === id && !latest[L_DELETED]) {
          this.expire(name, id);
        } else {
          // Superseded rows keep their lease until compaction; clearing it
          // stops every later sweep from reading them again.
          this.st.clearLease.run(id);
        }
      }
      if (rows.length === SWEEP_BATCH) setImmediate(() => this.sweep());
    } catch (err) {
      log.error({ err }, 'TTL sweep failed');
    } finally {
      this.sweeping = false;
    }
  }
}
