// What process a container is. There are no images to read an entrypoint
// from: the container's command and args are run on the host as they are,
// and the image only names what the process is. A busybox image runs the
// host's static busybox, so `busybox` pods behave as they would in Docker.
import { accessSync, constants, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { RuntimeError, type ContainerConfig } from '../interface.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

let applets: { path: string; names: Set<string> } | null | undefined;

function busybox(): { path: string; names: Set<string> } | null {
  if (applets !== undefined) return applets;
  applets = null;
  for (const path of BUSYBOX_CANDIDATES) {
    if (!existsSync(path)) continue;
    try {
      const list = execFileSync(path, ['--list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      applets = { path, names: new Set(list.split('\n').filter(Boolean)) };
      break;
    } catch {
      // not a usable busybox; try the next
    }
  }
  return applets;
}

/** docker.io/library/busybox:1.36 → busybox. */
export function imageBaseName(image: string): string {
  const noDigest = image.split('@')[0]!;
  const last = noDigest.slice(noDigest.lastIndexOf('/') + 1);
  return last.includes(':') ? last.slice(0, last.indexOf(':')) : last;
}

/** The argv a container runs, or InvalidConfig when it names nothing to run. */
export function containerArgv(config: ContainerConfig): string[] {
  const argv = config.command.length ? [...config.command, ...config.args] : [...config.args];
  if (argv.length === 0) {
    throw new RuntimeError(
      'InvalidConfig',
      `container "${config.metadata.name}" has no command: the exec runtime runs command/args as host processes and has no image entrypoint to fall back on (image "${config.image}"); set command in the pod spec`,
    );
  }
  const bb = imageBaseName(config.image) === 'busybox' ? busybox() : null;
  if (bb && !argv[0]!.includes('/') && bb.names.has(argv[0]!)) return [bb.path, ...argv];
  return argv;
}

/** Where argv[0] is on the host, as runc reports a missing one ("executable file not found in $PATH"). */
export function resolveExecutable(argv0: string, env: { name: string; value: string }[]): string {
  const isExec = (p: string): boolean => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (argv0.includes('/')) {
    if (isExec(argv0)) return argv0;
    throw new RuntimeError('StartFailed', `exec: "${argv0}": stat ${argv0}: no such file or directory`);
  }
  const path = env.find((e) => e.name === 'PATH')?.value ?? DEFAULT_PATH;
  for (const dir of path.split(':')) {
    if (dir && isExec(join(dir, argv0))) return join(dir, argv0);
  }
  throw new RuntimeError('StartFailed', `exec: "${argv0}": executable file not found in $PATH`);
}

/** The container's environment with PATH defaulted as an image config would. */
export function containerEnv(env: { name: string; value: string }[]): { name: string; value: string }[] {
  return env.some((e) => e.name === 'PATH') ? env : [{ name: 'PATH', value: DEFAULT_PATH }, ...env];
}
