// Periodic etcd compaction as kube-apiserver does it: every interval, compact
// to the revision seen one interval ago. A version-guarded write to a shared
// key lets several API servers on one etcd agree that only one of them
// compacts per interval (whoever wins the compare).
import type { Etcd3 } from 'etcd3';
import { logger } from '../../util/log.js';

const log = logger('storage');

export class EtcdCompactor {
  private timer: NodeJS.Timeout | null = null;
  /** Version of the shared key we last saw (the cluster's compaction "clock"). */
  private clock = 0;
  /** Revision observed at the previous tick: the next compaction target. */
  private lastRev = 0;
  private running = false;

  constructor(
    private readonly client: Etcd3,
    private readonly key: Buffer,
  ) {}

  start(intervalSeconds: number): void {
    if (intervalSeconds <= 0) return;
    this.timer = setInterval(() => void this.tick(), intervalSeconds * 1000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const res = await this.client.kv.txn({
        compare: [{ key: this.key, target: 'Version', result: 'Equal', version: this.clock }],
        success: [{ request_put: { key: this.key, value: Buffer.from(String(this.lastRev)) } }],
        failure: [{ request_range: { key: this.key } }],
      });
      const current = Number(res.header.revision);
      if (!res.succeeded) {
        // Another server compacted this interval; follow its clock.
        const kv = res.responses[0].response_range.kvs[0];
        this.clock = kv ? Number(kv.version) : 0;
        this.lastRev = current;
        return;
      }
      this.clock++;
      const target = this.lastRev;
      this.lastRev = current;
      if (target > 0) {
        await this.client.kv.compact({ revision: target });
        log.info({ revision: target }, 'compacted etcd');
      }
    } catch (err) {
      if (!(err instanceof Error && err.message.includes('required revision has been compacted'))) {
        log.warn({ err }, 'etcd compaction failed');
      }
    } finally {
      this.running = false;
    }
  }
}
