import { RateLimitingQueue } from '../../client/workqueue.js';
import type { Informer } from '../../client/informer.js';
import type { KubeObject } from '../../api/types.js';
import { logger, type Logger } from '../../util/log.js';

// The loop every workload controller runs: handlers only add keys; workers
// take a key, sync it, and on failure put it back with per-key exponential
// back-off (forgotten on success), as upstream's processNextWorkItem.

export interface KeyWorkerOptions {
  name: string;
  workers: number;
  sync(key: string): Promise<void>;
  /** After this many failed retries the key is dropped until the next event (upstream: 15 for deployments, daemonsets...). Unlimited if unset. */
  maxRetries?: number;
}

export class KeyWorker {
  readonly queue = new RateLimitingQueue<string>();
  readonly log: Logger;
  private loops: Promise<void>[] = [];
  private readonly ac = new AbortController();

  constructor(private readonly o: KeyWorkerOptions) {
    this.log = logger(o.name);
  }

  add(key: string): void {
    this.queue.add(key);
  }

  addAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  addRateLimited(key: string): void {
    this.queue.addRateLimited(key);
  }

  /** Waits for the informers' first list, then starts the workers. Returns at once. */
  run(informers: Informer<any>[]): void {
    for (const inf of informers) inf.start();
    void (async () => {
      const synced = await Promise.all(informers.map((i) => i.waitForSync(this.ac.signal)));
      if (!synced.every(Boolean) || this.ac.signal.aborted) return;
      for (let i = 0; i < Math.max(1, this.o.workers); i++) this.loops.push(this.loop());
    })();
  }

  private async loop(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.o.sync(key);
        this.queue.forget(key);
      } catch (err) {
        const n = this.queue.numRequeues(key);
        if (this.o.maxRetries !== undefined && n >= this.o.maxRetries) {
          this.log.warn({ key, err: (err as Error).message }, 'dropping key out of the queue');
          this.queue.forget(key);
        } else {
          this.log.info({ key, err: (err as Error).message }, 'sync failed, requeueing');
          this.queue.addRateLimited(key);
        }
      } finally {
        this.queue.done(key);
      }
    }
  }

  async stop(): Promise<void> {
    this.ac.abort();
    await this.queue.shutDownWithDrain();
    await Promise.all(this.loops);
  }
}

/** The "namespace/name" work-queue key of an object. */
export function keyOf(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name!;
}

/** Adds an index to a shared informer unless another controller already did. */
export function ensureIndex<T extends KubeObject>(inf: Informer<T>, name: string, fn: (obj: T) => string[]): void {
  try {
    inf.store.indexValues(name);
  } catch {
    inf.addIndexers({ [name]: fn });
  }
}

/**
 * Queues every added or updated object of one informer by name and runs the
 * worker: the whole life of a controller that reacts to one kind only.
 */
export function runOnAddOrUpdate<T extends KubeObject>(inf: Informer<T>, worker: KeyWorker): { stop(): Promise<void> } {
  const reg = inf.addEventHandler({
    onAdd: (o) => worker.add(keyOf(o)),
    onUpdate: (_old, o) => worker.add(keyOf(o)),
  });
  worker.run([inf]);
  return {
    async stop() {
      reg.remove();
      await worker.stop();
    },
  };
}
