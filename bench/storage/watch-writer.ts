// The writers of the watch benchmark in a process of their own, so that the
// watchers' process runs only the store's watch path (etcd stream, decode,
// cache fan-out) and not also 64 writers' gRPC calls. Writes through our own
// store (openStore, same namespace) and prints, as one JSON line, when each
// write was issued and acknowledged on the machine's monotonic clock.
// Arguments: one JSON object {endpoints, namespace, prefix, writes, concurrency, value}.
import { openStore } from '../../src/storage/open.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inProcessWriter, type WatchWriter, type WriteTimes } from './workload.js';

interface Args {
  endpoints: string[];
  namespace: string;
  prefix: string;
  writes: number;
  concurrency: number;
  value: string;
}

/** A WatchWriter that runs the writes in a child process (this file). */
export function childProcessWriter(endpoints: string[], namespace: string): WatchWriter {
  return (prefix, value, writes, concurrency) =>
    new Promise<WriteTimes>((resolve, reject) => {
      const args: Args = { endpoints, namespace, prefix, writes, concurrency, value };
      const child = spawn(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        if (code !== 0) return reject(new Error(`watch writer exited (${code ?? signal})`));
        try {
          resolve(JSON.parse(out) as WriteTimes);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]!) as Args;
  const store = await openStore({ kind: 'etcd', endpoints: args.endpoints, prefix: args.namespace, compactIntervalSeconds: 0 });
  try {
    // One untimed write, so the connection is up before the first timed one.
    await store.create(`${args.prefix}warm-writer`, args.value);
    const times = await inProcessWriter(store)(args.prefix, args.value, args.writes, args.concurrency);
    process.stdout.write(JSON.stringify(times) + '\n');
  } finally {
    await store.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
