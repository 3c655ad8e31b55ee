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

/** Returns true when the files changed. */
export async function writeAtomic(dir: string, files: FileProjection[]): Promise<boolean> {
  for (const f of files) if (!validPath(f.path)) throw new Error(`invalid path ${JSON.stringify(f.path)}`);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const current = await currentPayload(dir);
  if (current && current.size === files.length && files.every((f) => current.get(f.path)?.equals(f.data))) return false;

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

  const top = new Set(files.map((f) => f.path.split('/')[0]!));
  for (const name of top) {
    const link = join(dir, name);
    const st = await lstat(link).catch(() => undefined);
    if (st?.isSymbolicLink()) continue;
    if (st) await rm(link, { recursive: true, force: true });
    await symlink(join(DATA, name), link);
  }
  for (const e of await readdir(dir)) {
    if (e === DATA || e === tsDir) continue;
    if (e.startsWith('..')) {
      if (e === oldTarget || e.startsWith('..2') || e.startsWith('.._')) await rm(join(dir, e), { recursive: true, force: true });
      continue;
    }
    if (!top.has(e)) await rm(join(dir, e), { recursive: true, force: true });
  }
  return true;
}
