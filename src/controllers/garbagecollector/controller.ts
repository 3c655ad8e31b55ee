import { KeyWorker } from '../shared/worker.js';
import { sleep } from '../../client/clock.js';
import { logger } from '../../util/log.js';
import { discoverResources, hasVerbs, type DiscoveredResource } from '../discovery.js';
import { concurrency, extraDurationMs } from '../options.js';
import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import { GraphBuilder } from './graph-builder.js';
import { Collector } from './collector.js';
import { RestMapper } from './rest-mapper.js';

// Upstream's garbage-collector-controller: the graph builder watches every
// resource that can be listed, watched and deleted (events excepted, as
// kube-controller-manager's default --gc-ignored-resources); workers act on
// the attemptToDelete and attemptToOrphan queues once every monitor has
// synced. Discovery is re-read periodically so new resources get monitors.

const log = logger('garbage-collector-controller');

const IGNORED = new Set(['/events', 'events.k8s.io/events']);

export function gcResources(all: DiscoveredResource[]): DiscoveredResource[] {
  return all.filter((r) => r.preferred && hasVerbs(r, 'list', 'watch', 'delete') && !IGNORED.has(`${r.group}/${r.resource}`));
}

export async function startGarbageCollector(ctx: ControllerContext): Promise<RunningController> {
  const mapper = new RestMapper();
  const deleteWorker: KeyWorker = new KeyWorker({ name: 'garbage-collector-controller', workers: concurrency(ctx.options, 'gc'), sync: (uid) => collector.attemptToDelete(uid) });
  const orphanWorker: KeyWorker = new KeyWorker({ name: 'garbage-collector-controller', workers: concurrency(ctx.options, 'gc'), sync: (uid) => collector.attemptToOrphan(uid) });
  const builder = new GraphBuilder(ctx.informers, {
    attemptToDelete: (n) => deleteWorker.add(n.identity.uid),
    attemptToOrphan: (n) => orphanWorker.add(n.identity.uid),
  });
  const collector = new Collector(ctx.client, mapper, builder, { attemptToDelete: (n) => deleteWorker.add(n.identity.uid) });
  let stopped = false;

  const resync = async (): Promise<boolean> => {
    try {
      const found = await discoverResources(ctx.client);
      if (stopped) return false;
      // A partial discovery must not drop monitors of groups that merely failed to answer.
      if (found.failed.size) log.warn({ failed: [...found.failed.keys()] }, 'discovery failed for some groups');
      mapper.reset(found.resources);
      builder.syncMonitors(gcResources(found.resources), { removeMissing: found.failed.size === 0 });
      return true;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'garbage collector discovery failed');
      return false;
    }
  };

  builder.run();
  const period = extraDurationMs(ctx.options, 'k8ts-gc-resync-period');
  const started = (async () => {
    while (!stopped && !(await resync())) await sleep(Math.min(period, 1000));
    if (stopped) return;
    // Workers start once the graph has seen everything, as upstream waits for its monitors to sync
    // (polled: dozens of informers waiting on one abort signal would trip Node's listener warning).
    while (!stopped && !builder.isSynced()) await sleep(100);
    if (stopped) return;
    deleteWorker.run([]);
    orphanWorker.run([]);
  })();
  const timer = setInterval(() => void resync(), period);
  timer.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await started;
      await Promise.all([deleteWorker.stop(), orphanWorker.stop()]);
      await builder.stop();
    },
  };
}

export const garbageCollectorController: ControllerDescriptor = { name: 'garbagecollector', start: startGarbageCollector };
