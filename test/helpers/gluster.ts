import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// A real GlusterFS for tests: the system glusterd when one runs (used and
// left running), otherwise one started by the tests and stopped by the last
// test process that used it.
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
  /** Scratch directory of this test process (bricks, logs). */
  dir: string;
}

// Test processes run in parallel and share the one glusterd a host can run
// (port 24007): each registers in STATE/users/<pid>; a glusterd started by a
// test has its pid in STATE/pid, and the last test process to leave stops
// it. A glusterd that was running before any test (the system's) has no
// STATE/pid and is never stopped.
const STATE = join(tmpdir(), 'k8ts-test-glusterd');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function liveUsers(): Promise<number[]> {
  const names = await readdir(join(STATE, 'users')).catch(() => [] as string[]);
  const out: number[] = [];
  for (const n of names) {
    const pid = Number(n);
    if (alive(pid)) out.push(pid);
    else await rm(join(STATE, 'users', n), { force: true });
  }
  return out;
}

export async function startGlusterd(): Promise<Glusterd> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-gluster-'));
  await mkdir(join(STATE, 'users'), { recursive: true });
  await writeFile(join(STATE, 'users', String(process.pid)), '');
  if (await glusterdAnswers()) return { dir };
  const pidFile = join(STATE, 'glusterd.pid');
  try {
    await run(GLUSTERD, ['-p', pidFile, `--log-file=${join(STATE, 'glusterd.log')}`], { timeout: 60_000 });
  } catch (err) {
    // Another test process may have started it a moment ago.
    if (!(await glusterdAnswers())) throw err;
  }
  for (let i = 0; i < 100 && !(await glusterdAnswers()); i++) await new Promise((r) => setTimeout(r, 100));
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (pid) await writeFile(join(STATE, 'pid'), String(pid));
  return { dir };
}

/** Leaves; the last test process stops a glusterd a test started (never a system one). */
export async function stopGlusterd(g: Glusterd | undefined): Promise<void> {
  if (!g) return;
  await rm(join(STATE, 'users', String(process.pid)), { force: true });
  await rm(g.dir, { recursive: true, force: true });
  if ((await liveUsers()).length > 0) return;
  const pid = Number((await readFile(join(STATE, 'pid'), 'utf8').catch(() => '')).trim());
  if (!pid) return;
  await rm(join(STATE, 'pid'), { force: true });
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if ((await liveUsers()).length === 0) await rm(STATE, { recursive: true, force: true });
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
