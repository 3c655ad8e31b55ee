// Child process for crash.test.ts: writes to a SQLite store as fast as it can
// and prints a line for every write the store acknowledged, until killed.
//   c <key>          the key was created
//   u <key> <value>  the key was updated to value
import { SqliteStore } from '../../src/storage/sqlite/store.js';

const [path, round, synchronous] = process.argv.slice(2);
if (!path || !round) {
  process.stderr.write('usage: crash-writer <db path> <round> [NORMAL|FULL]\n');
  process.exit(2);
}
const store = new SqliteStore({
  path,
  synchronous: synchronous === 'FULL' ? 'FULL' : 'NORMAL',
  // Keep compaction busy too, so a kill can land in the middle of it.
  compactWindowSeconds: 1,
  compactIntervalMs: 100,
});
const counter = `/registry/crash/counter-${round}`;
let counterRev = (await store.create(counter, '0')).modRevision;
process.stdout.write(`c ${counter}\n`);
for (let i = 0; ; i++) {
  const key = `/registry/crash/r${round}-${i}`;
  await store.create(key, JSON.stringify({ round, i, pad: 'x'.repeat(i % 512) }));
  process.stdout.write(`c ${key}\n`);
  if (i % 5 === 0) {
    counterRev = (await store.update(counter, String(i), counterRev)).modRevision;
    process.stdout.write(`u ${counter} ${i}\n`);
  }
  // Yield now and then so compaction timers get their turn.
  if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
}
