// How the pause image's root filesystem is obtained with no registry: from a
// static busybox when the host has one, else by compiling a tiny C program
// with `cc -static`, else a RuntimeError that says what to install.
import { spawn } from 'node:child_process';
import { access, constants, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { RuntimeError, type PullProgress } from '../interface.js';
import { isStaticElf } from './elf.js';
import { PAUSE_C, PAUSE_SCRIPT } from './programs.js';
import { tar, type TarEntry } from './tar.js';

export const DEFAULT_PAUSE_IMAGE = 'k8ts/pause:3.10';

export interface PauseRootfs {
  /** An uncompressed tar of the root filesystem. */
  tar: Buffer;
  entrypoint: string[];
  /** What it was built from, for logs and progress. */
  source: string;
}

export interface PauseBuildOptions {
  /** A static busybox to use; null skips busybox; undefined looks in /bin and /usr/bin. */
  busybox?: string | null;
  /** A C compiler; null skips compiling; undefined means $CC or `cc` on PATH. */
  cc?: string | null;
  progress?: PullProgress;
}

const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox', '/usr/local/bin/busybox'];
const SKELETON: TarEntry[] = ['dev', 'proc', 'sys', 'etc', 'tmp'].map((path) => ({ type: 'dir', path }));

export async function buildPauseRootfs(opts: PauseBuildOptions = {}): Promise<PauseRootfs> {
  const progress = opts.progress ?? (() => {});
  const busybox = opts.busybox === undefined ? await findStaticBusybox() : opts.busybox;
  if (busybox) {
    if (!(await isStaticElf(busybox))) {
      throw new RuntimeError('InvalidConfig', `${busybox} is not a statically linked executable; the pause image needs a static busybox`);
    }
    progress(`Building pause image from ${busybox}`);
    return busyboxRootfs(busybox);
  }
  const cc = opts.cc === undefined ? (process.env.CC ?? (await which('cc'))) : opts.cc;
  if (cc) {
    progress(`Building pause image by compiling a static pause program with ${cc}`);
    return compiledRootfs(cc, progress);
  }
  throw new RuntimeError(
    'PullFailed',
    'cannot build the pause image offline: no static busybox (/bin/busybox) and no C compiler found; ' +
      'install busybox-static (or a C compiler with a static libc, e.g. gcc and libc6-dev)',
  );
}

async function busyboxRootfs(busybox: string): Promise<PauseRootfs> {
  const binary = await readFile(busybox);
  const entries: TarEntry[] = [
    ...SKELETON,
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/busybox', data: binary, mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: '/bin/busybox' },
    { type: 'symlink', path: 'bin/sleep', target: '/bin/busybox' },
    { type: 'file', path: 'pause', data: Buffer.from(PAUSE_SCRIPT), mode: 0o755 },
  ];
  return { tar: tar(entries), entrypoint: ['/pause'], source: `busybox (${busybox})` };
}

async function compiledRootfs(cc: string, progress: PullProgress): Promise<PauseRootfs> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-pause-'));
  try {
    await writeFile(join(dir, 'pause.c'), PAUSE_C);
    const out = join(dir, 'pause');
    const { code, output } = await run(cc, ['-static', '-Os', '-o', out, join(dir, 'pause.c')]);
    if (code !== 0) {
      throw new RuntimeError(
        'PullFailed',
        `cannot build the pause image: \`${cc} -static\` failed (exit ${code}): ${output.trim()}; ` +
          'install busybox-static, or a static libc for the compiler (e.g. libc6-dev)',
      );
    }
    progress('Compiled pause program');
    const entries: TarEntry[] = [...SKELETON, { type: 'file', path: 'pause', data: await readFile(out), mode: 0o755 }];
    return { tar: tar(entries), entrypoint: ['/pause'], source: `cc -static (${cc})` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function findStaticBusybox(): Promise<string | null> {
  for (const candidate of BUSYBOX_CANDIDATES) {
    if (await isStaticElf(candidate)) return candidate;
  }
  return null;
}

async function which(name: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
}

function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err) => resolve({ code: -1, output: err.message }));
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}
