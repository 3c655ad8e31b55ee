import { createHash } from 'node:crypto';
import { lstatSync, readlinkSync } from 'node:fs';
import { mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile, chmod, lstat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

// Writes a volume's files the way upstream's AtomicWriter does, so a reader
// inside the container never sees half an update: the payload goes into a
// fresh timestamped directory, "..data" is switched to it with one rename,
// and each top-level name is a symlink through "..data".

export interface FileProjection {
  /** Relative path inside the volume; may contain "/". */
  path: string;
  data: Buffer;
  mode: number;
}

const DATA = '..data';

function validPath(p: string): boolean {
  return p.length > 0 && !p.startsWith('/') && !p.split('/').includes('..') && !p.startsWith('..');
}

async function currentPayload(dir: string): Promise<Map<string, Buffer> | undefined> {
  let target: string;
  try {
    target = await readlink(join(dir, DATA));
  } catch {
    return undefined;
  }
  const out = new Map<string, Buffer>();
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(dir, target, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else out.set(r, await readFile(join(dir, target, r)));
    }
  };
  await walk('');
  return out;
}

// Every resync sets each API-backed volume up again, and at thousands of
// pods a node (hollow nodes) reading every file back to compare was a
// quarter of the process's CPU at rest. So the writer remembers what it
// left in each directory: a digest of each file's content and the file's
// identity on disk. A payload with the same digests is confirmed with a few
// metadata calls, and only when something on disk differs from what was
// written (a file edited, replaced or removed, "..data" switched, a visible
// link gone) does it fall back to upstream's read-and-compare, so files
// changed behind the kubelet's back are still restored on the next resync.
// The checks are synchronous: answered from the inode cache, a handful of
// them cost less than one round trip through the thread pool.

interface WrittenFile {
  digest: string;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

interface Written {
  /** The timestamped directory "..data" pointed at. */
  target: string;
  files: Map<string, WrittenFile>;
}

const written = new Map<string, Written>();

function digest(data: Buffer): string {
  return createHash('sha256').update(data).digest('base64');
}

function topNames(files: FileProjection[]): Set<string> {
  return new Set(files.map((f) => f.path.split('/')[0]!));
}

/** True when the directory still holds exactly what the last write left there and the payload is the same. */
function unchangedSinceWritten(dir: string, files: FileProjection[]): boolean {
  const last = written.get(dir);
  if (!last || last.files.size !== files.length) return false;
  for (const f of files) if (last.files.get(f.path)?.digest !== digest(f.data)) return false;
  try {
    if (readlinkSync(join(dir, DATA)) !== last.target) return false;
    for (const [path, w] of last.files) {
      const st = lstatSync(join(dir, last.target, path), { throwIfNoEntry: false });
      if (!st || !st.isFile() || st.ino !== w.ino || st.size !== w.size || st.mtimeMs !== w.mtimeMs || st.ctimeMs !== w.ctimeMs) return false;
    }
    for (const name of topNames(files)) if (!lstatSync(join(dir, name), { throwIfNoEntry: false })?.isSymbolicLink()) return false;
  } catch {
    return false;
  }
  return true;
}

async function remember(dir: string, files: FileProjection[]): Promise<void> {
  const target = await readlink(join(dir, DATA));
  const out = new Map<string, WrittenFile>();
  for (const f of files) {
    const st = await lstat(join(dir, target, f.path));
    out.set(f.path, { digest: digest(f.data), ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs });
  }
  written.set(dir, { target, files: out });
}

/** Drops what the writer remembers about a directory (call when the volume is torn down). */
export function forgetWritten(dir: string): void {
  written.delete(dir);
}

/** Returns true when the files changed. */
export async function writeAtomic(dir: string, files: FileProjection[]): Promise<boolean> {
  for (const f of files) if (!validPath(f.path)) throw new Error(`invalid path ${JSON.stringify(f.path)}`);
  if (unchangedSinceWritten(dir, files)) return false;
  written.delete(dir);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const current = await currentPayload(dir);
  if (current && current.size === files.length && files.every((f) => current.get(f.path)?.equals(f.data))) {
    await restoreVisibleLinks(dir, topNames(files));
    await remember(dir, files);
    return false;
  }

  const tsDir = `..${new Date().toISOString().replace(/[-:.TZ]/g, '_')}${Math.random().toString(36).slice(2, 8)}`;
  await mkdir(join(dir, tsDir), { mode: 0o755 });
  for (const f of files) {
    const p = join(dir, tsDir, f.path);
    await mkdir(dirname(p), { recursive: true, mode: 0o755 });
    await writeFile(p, f.data);
    await chmod(p, f.mode);
  }
  const tmpLink = join(dir, '..data_tmp');
  await rm(tmpLink, { force: true });
  await symlink(tsDir, tmpLink);
  let oldTarget: string | undefined;
  try {
    oldTarget = await readlink(join(dir, DATA));
  } catch {
    oldTarget = undefined;
  }
  await rename(tmpLink, join(dir, DATA));

  const top = topNames(files);
  await restoreVisibleLinks(dir, top);
  for (const e of await readdir(dir)) {
    if (e === DATA || e === tsDir) continue;
    if (e.startsWith('..')) {
      if (e === oldTarget || e.startsWith('..2') || e.startsWith('.._')) await rm(join(dir, e), { recursive: true, force: true });
      continue;
    }
    if (!top.has(e)) await rm(join(dir, e), { recursive: true, force: true });
  }
  await remember(dir, files);
  return true;
}

/** Each top-level name is a symlink through "..data" (upstream's createUserVisibleFiles, also run when the data is current). */
async function restoreVisibleLinks(dir: string, top: Set<string>): Promise<void> {
  for (const name of top) {
    const link = join(dir, name);
    const st = await lstat(link).catch(() => undefined);
    if (st?.isSymbolicLink()) continue;
    if (st) await rm(link, { recursive: true, force: true });
    await symlink(join(DATA, name), link);
  }
}
