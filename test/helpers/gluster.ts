import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// A real GlusterFS for tests: the system glusterd when one runs (used and
// left running), otherwise one started here and stopped by stopGlusterd().
// Volumes are one brick on a test directory, created with `force` (a brick
// on the root file system) on 127.0.0.2 so brick traffic stays on loopback,
// and stopped and deleted by the test that made them.
//
// Skip rule as the etcd and Docker helpers: without glusterd a suite skips
// locally; with CI set it runs and fails.

const run = promisify(execFile);
const GLUSTERD = '/usr/sbin/glusterd';
const GLUSTER = '/usr/sbin/gluster';
const MOUNT_GLUSTERFS = '/usr/sbin/mount.glusterfs';
export const BRICK_HOST = '127.0.0.2';

export function glusterSkip(): string | false {
  if (process.env.CI) return false;
  if (process.getuid?.() !== 0) return 'not root (mounting needs it; with CI set this is a failure)';
  if (!existsSync(GLUSTERD) || !existsSync(MOUNT_GLUSTERFS)) return 'no glusterd / mount.glusterfs (install glusterfs-server glusterfs-client; with CI set this is a failure)';
  return false;
}

export async function gluster(...args: string[]): Promise<string> {
  const { stdout } = await run(GLUSTER, ['--mode=script', ...args], { timeout: 120_000 });
  return stdout;
}

async function glusterdAnswers(): Promise<boolean> {
  try {
    await run(GLUSTER, ['--mode=script', 'pool', 'list'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export interface Glusterd {
  /** True when this process started glusterd (and will stop it). */
  started: boolean;
  pid?: number;
  dir: string;
}

export async function startGlusterd(): Promise<Glusterd> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-gluster-'));
  if (await glusterdAnswers()) return { started: false, dir };
  const pidFile = join(dir, 'glusterd.pid');
  await run(GLUSTERD, ['-p', pidFile, `--log-file=${join(dir, 'glusterd.log')}`], { timeout: 60_000 });
  for (let i = 0; i < 100 && !(await glusterdAnswers()); i++) await new Promise((r) => setTimeout(r, 100));
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  return { started: true, pid, dir };
}

/** Kills the glusterd this process started (never a system one), and its temp dir. */
export async function stopGlusterd(g: Glusterd | undefined): Promise<void> {
  if (!g) return;
  if (g.started && g.pid) {
    try {
      process.kill(g.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    for (let i = 0; i < 50; i++) {
      try {
        process.kill(g.pid, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await rm(g.dir, { recursive: true, force: true });
}

/** A started one-brick volume on a fresh directory; returns the brick path. */
export async function createVolume(g: Glusterd, name: string): Promise<string> {
  const brick = join(g.dir, `brick-${name}`);
  await mkdir(brick, { recursive: true });
  await gluster('volume', 'create', name, `${BRICK_HOST}:${brick}`, 'force');
  await gluster('volume', 'start', name);
  return brick;
}

export async function deleteVolume(g: Glusterd, name: string): Promise<void> {
  await gluster('volume', 'stop', name, 'force').catch(() => undefined);
  await gluster('volume', 'delete', name).catch(() => undefined);
  await rm(join(g.dir, `brick-${name}`), { recursive: true, force: true });
}

/** An address of this host glusterd answers on that Endpoints accept (not loopback). */
export function hostAddress(): string {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  throw new Error('no non-loopback IPv4 address on this host');
}

/** Mount points under a directory, from /proc/mounts. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/mounts', 'utf8');
  return text
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((t) => t === dir || t.startsWith(`${dir}/`));
}
