import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ManagedEtcdError } from './errors.js';

// The real etcd binaries (Debian's etcd-server and etcd-client packages), found
// on PATH as a person would run them; $ETCD_BIN / $ETCDCTL_BIN override.

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, envVar: string): string | null {
  const fromEnv = process.env[envVar];
  if (fromEnv) return executable(fromEnv) ? fromEnv : null;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return null;
}

export function etcdBinary(): string {
  const bin = onPath('etcd', 'ETCD_BIN');
  if (!bin) throw new ManagedEtcdError('managed etcd needs the etcd binary, and there is no `etcd` on PATH (install Debian\'s etcd-server package: apt-get install etcd-server, or set ETCD_BIN)', 'BinaryMissing');
  return bin;
}

export function etcdctlBinary(): string {
  const bin = onPath('etcdctl', 'ETCDCTL_BIN');
  if (!bin) throw new ManagedEtcdError('etcd snapshots need etcdctl, and there is no `etcdctl` on PATH (install Debian\'s etcd-client package: apt-get install etcd-client, or set ETCDCTL_BIN)', 'BinaryMissing');
  return bin;
}

/** setpriv (util-linux) ties etcd's life to ours, as k3s's in-process etcd dies with k3s; null when absent. */
export function setprivBinary(): string | null {
  return onPath('setpriv', 'SETPRIV_BIN');
}
