// Loaded into a server under test with `node --expose-gc --import <this file>`:
// on SIGWINCH it appends one JSON line to $K8TS_MEM_PROBE_OUT with RSS and the
// V8 heap before and after a full GC, so a bench can tell live memory (heap
// used after GC) from memory the process merely still holds (RSS).
import { appendFileSync } from 'node:fs';
import v8 from 'node:v8';

const out = process.env.K8TS_MEM_PROBE_OUT;
const gc = (globalThis as { gc?: () => void }).gc;

function sample(): Record<string, number> {
  const m = process.memoryUsage();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size]));
  return { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, newSpace: spaces.new_space ?? 0, oldSpace: spaces.old_space ?? 0, largeObjects: spaces.large_object_space ?? 0 };
}

if (out) {
  process.on('SIGWINCH', () => {
    const before = sample();
    gc?.();
    appendFileSync(out, JSON.stringify({ before, after: sample() }) + '\n');
  });
}
