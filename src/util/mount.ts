import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

// The system's mount(8), as upstream's mount-utils: errors carry the
// command, its arguments and its own output so a FailedMount event tells
// the user what mount said; /proc/mounts answers "is it mounted".

export class MountError extends Error {}

function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export async function mountTable(): Promise<{ source: string; target: string; fstype: string }[]> {
  const text = await readFile('/proc/mounts', 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const f = l.split(' ');
      return { source: unescape(f[0] ?? ''), target: unescape(f[1] ?? ''), fstype: f[2] ?? '' };
    });
}

export async function isMountPoint(path: string): Promise<boolean> {
  return (await mountTable()).some((m) => m.target === path);
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}`.trim() || (err && !stdout && !stderr ? err.message : '') });
    });
  });
}

/** mount [-t type] [-o opts] source target; throws MountError in upstream's words. */
export async function mount(source: string, target: string, fstype: string | undefined, options: string[] = [], timeoutMs = 60_000): Promise<void> {
  const args = [...(fstype ? ['-t', fstype] : []), ...(options.length ? ['-o', options.join(',')] : []), source, target];
  const r = await run('mount', args, timeoutMs);
  if (r.code !== 0) throw new MountError(`mount failed: exit status ${r.code}\nMounting command: mount\nMounting arguments: ${args.join(' ')}\nOutput: ${r.output}\n`);
}

export async function unmount(target: string, timeoutMs = 60_000): Promise<void> {
  const r = await run('umount', [target], timeoutMs);
  if (r.code !== 0) throw new MountError(`unmount failed: exit status ${r.code}\nUnmounting arguments: ${target}\nOutput: ${r.output}\n`);
}

/**
 * Unmounts everything mounted at or below dir, deepest first (a mount inside another goes before it); a mount
 * that stays busy is detached lazily (umount -l), as a host being wiped cannot wait for its users. Returns the
 * targets unmounted and those that could not be.
 */
export async function unmountAllUnder(dir: string): Promise<{ unmounted: string[]; failed: string[] }> {
  const root = dir.replace(/\/+$/, '');
  const targets = (await mountTable()).map((m) => m.target).filter((t) => t === root || t.startsWith(`${root}/`));
  // The same target may be mounted over itself several times: each entry is one umount.
  targets.sort((a, b) => b.length - a.length);
  const unmounted: string[] = [];
  const failed: string[] = [];
  for (const t of targets) {
    if ((await run('umount', [t], 60_000)).code === 0 || (await run('umount', ['-l', t], 60_000)).code === 0) unmounted.push(t);
    else failed.push(t);
  }
  return { unmounted, failed };
}
