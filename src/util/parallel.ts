/**
 * Runs fn over items with at most `workers` calls in flight, in order of start (upstream's
 * workqueue.ParallelizeUntil); resolves when every call has finished. fn handles its own errors.
 */
export async function forEachInParallel<T>(items: readonly T[], workers: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(workers, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
