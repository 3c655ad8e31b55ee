// One owner per database file. The store's watch fan-out lives in the memory
// of the process that writes, so a second writer would commit changes no
// watcher ever sees. The lock is an exclusive SQLite lock held on a sidecar
// file for the store's lifetime: the kernel drops it when the process dies,
// so a crashed owner never leaves a stale lock behind.
import Database from 'better-sqlite3';

export interface FileLock {
  release(): void;
}

export function acquireLock(path: string, timeoutMs: number): FileLock {
  const lockDb = new Database(`${path}.lock`, { timeout: timeoutMs });
  try {
    lockDb.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock; EXCLUSIVE mode keeps it.
    lockDb.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER); DELETE FROM owner;');
    lockDb.prepare('INSERT INTO owner (pid) VALUES (?)').run(process.pid);
  } catch (err) {
    lockDb.close();
    throw err;
  }
  return { release: () => lockDb.close() };
}
