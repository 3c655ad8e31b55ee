// Test images without a registry: a busybox root filesystem (the host's
// static /bin/busybox plus a symlink per applet) imported into dockerd
// through the Engine API.
//
// A hand-made `k8ts-test/busybox:1` is used when present and never removed.
// Otherwise each test process imports its own tag (k8ts-test/busybox:run-<pid>)
// and releaseBusyboxImage() removes it again: a shared tag would be deleted by
// one suite while another, in a parallel process, is about to use it.
//
// Skip rule, like the etcd helper: without a reachable dockerd a suite skips
// locally, but with CI set the suite runs and fails.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { DockerClient } from '../../src/runtime/docker/client.js';
import { importImage } from '../../src/runtime/docker/import.js';
import { inspectImage, removeImage } from '../../src/runtime/docker/images.js';
import { isStaticElf } from '../../src/runtime/pause/elf.js';
import { tar, type TarEntry } from '../../src/runtime/pause/tar.js';

export const SHARED_BUSYBOX_IMAGE = 'k8ts-test/busybox:1';
const BUSYBOX = '/bin/busybox';

let ensured: Promise<string> | undefined;
let created: string | undefined;
let users = 0;

/** The tag of a busybox image with the usual applets on PATH; imports one when needed. */
export function ensureBusyboxImage(): Promise<string> {
  users++;
  ensured ??= (async () => {
    const client = new DockerClient();
    try {
      if (await inspectImage(client, SHARED_BUSYBOX_IMAGE)) return SHARED_BUSYBOX_IMAGE;
      const ref = `k8ts-test/busybox:run-${process.pid}`;
      await importImage(client, ref, await busyboxRootfsTar(), ['ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["/bin/sh"]']);
      created = ref;
      return ref;
    } finally {
      client.close();
    }
  })();
  ensured.catch(() => {
    ensured = undefined;
  });
  return ensured;
}

/** Drops this process's use of the image; the last user removes it if this process imported it. */
export async function releaseBusyboxImage(): Promise<void> {
  users = Math.max(0, users - 1);
  if (users > 0 || !created) return;
  const ref = created;
  created = undefined;
  ensured = undefined;
  const client = new DockerClient();
  try {
    await removeImage(client, ref);
  } finally {
    client.close();
  }
}

/** An uncompressed tar of a busybox root filesystem (for tests that import variants). */
export async function busyboxRootfsTar(): Promise<Buffer> {
  if (!(await isStaticElf(BUSYBOX))) throw new Error(`${BUSYBOX} missing or not static: install busybox-static`);
  const applets = execFileSync(BUSYBOX, ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && l !== 'bin/busybox');
  const dirs = new Set(['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'etc', 'root', 'proc', 'sys', 'dev', 'var', 'var/www']);
  for (const applet of applets) dirs.add(applet.slice(0, applet.lastIndexOf('/')));
  const entries: TarEntry[] = [
    ...[...dirs].filter(Boolean).sort().map((path): TarEntry => ({ type: 'dir', path })),
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'file', path: 'bin/busybox', data: readFileSync(BUSYBOX), mode: 0o755 },
    ...applets.map((path): TarEntry => ({ type: 'symlink', path, target: '/bin/busybox' })),
    { type: 'file', path: 'etc/passwd', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n') },
    { type: 'file', path: 'etc/group', data: Buffer.from('root:x:0:\nnogroup:x:65534:\n') },
  ];
  return tar(entries);
}

/** Whether a dockerd answers on DOCKER_HOST or /var/run/docker.sock. */
export async function dockerAvailable(): Promise<boolean> {
  const client = new DockerClient();
  try {
    await client.call('GET', '/_ping');
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/** For describe() options: a skip reason without dockerd (or busybox) when CI is unset; false otherwise. */
export async function dockerSkip(): Promise<string | false> {
  if (process.env.CI) return false;
  if (!(await dockerAvailable())) return 'no Docker daemon reachable (install docker.io; with CI set this is a failure)';
  if (!existsSync(BUSYBOX)) return 'no /bin/busybox (install busybox-static; with CI set this is a failure)';
  return false;
}
