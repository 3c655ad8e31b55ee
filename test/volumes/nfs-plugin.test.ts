import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nfsPlugin } from '../../src/kubelet/volumes/network.js';
import type { VolumeHost, VolumeSetUpContext } from '../../src/kubelet/volumes/plugin.js';
import type { Pod } from '../../src/kubelet/api-types.js';

// The nfs plugin with the system's own mount, against a loopback address no
// NFS server listens on. A successful NFS mount cannot be shown on this
// machine (its kernel has neither the nfs nor the nfsd file system: `mount
// -t nfs` answers "No such device"), so this covers what can be: the mount
// command and options the plugin runs, the mount's own words carried to the
// FailedMount message, and nothing left mounted or half-made behind.

test('nfs: the system mount is run with server:path, its own error is what the pod is told, nothing is left behind', { skip: process.getuid?.() !== 0 ? 'mount needs root' : false }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'k8ts-nfs-'));
  try {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u-nfs' }, spec: { containers: [] } } as Pod;
    const ctx: VolumeSetUpContext = {
      pod,
      volume: { name: 'data', nfs: { server: '127.0.0.1', path: '/k8ts-no-such-export', readOnly: true } },
      dir: join(root, 'pods', 'u-nfs', 'volumes', 'kubernetes.io~nfs', 'data'),
      pluginDir: join(root, 'plugins', 'kubernetes.io~nfs'),
      host: { log: { info: () => undefined, warn: () => undefined } } as unknown as VolumeHost,
    };
    assert.equal(nfsPlugin.canSupport(ctx.volume), true);
    await assert.rejects(nfsPlugin.setUp(ctx), (err: Error) => {
      assert.match(err.message, /^mount failed: exit status \d+\nMounting command: mount\nMounting arguments: -t nfs -o ro 127\.0\.0\.1:\/k8ts-no-such-export \S+\nOutput: \S/);
      return true;
    });
    const mounts = (await readFile('/proc/mounts', 'utf8')).split('\n').filter((l) => l.includes(root));
    assert.deepEqual(mounts, []);
    // No pod is left holding a share of a mount that never happened.
    assert.equal(existsSync(join(ctx.dir, 'shared-mount')), false);
    await nfsPlugin.tearDown!({ dir: ctx.dir, host: ctx.host, pluginDir: ctx.pluginDir, volume: ctx.volume });
    assert.equal(existsSync(ctx.dir), false);
    const shared = existsSync(ctx.pluginDir!) ? await readdir(ctx.pluginDir!, { recursive: true }) : [];
    assert.deepEqual(shared.map(String).filter((f) => /^users\/[^/]+\/[^/]+$/.test(f)), [], 'no user of the mount is recorded');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
