import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readlink, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetWritten, writeAtomic } from '../../src/kubelet/volumes/atomic-writer.js';
import { checkHostPathType } from '../../src/kubelet/volumes/hostpath.js';
import { VolumeManager } from '../../src/kubelet/volumes/manager.js';
import type { VolumeHost } from '../../src/kubelet/volumes/plugin.js';
import { ServiceAccountTokenManager } from '../../src/kubelet/volumes/token-manager.js';
import type { Pod } from '../../src/kubelet/api-types.js';
import { logger } from '../../src/util/log.js';

function fakeHost(objects: Record<string, any>, events: string[]): VolumeHost {
  const client = {
      async get(ref: { resource: string }, ns: string, name: string) {
        const o = objects[`${ref.resource}/${ns}/${name}`];
        if (!o) throw Object.assign(new (await import('../../src/api/errors.js')).StatusError(404, 'NotFound', `${ref.resource} "${name}" not found`));
        return o;
      },
      async request() {
        throw Object.assign(new Error('not found'), { code: 404 });
      },
    } as any;
  return {
    client,
    tokens: new ServiceAccountTokenManager(client),
    objects: { get: async (resource: string, ns: string, name: string) => objects[`${resource}/${ns}/${name}`], releasePod: () => undefined },
    nodeName: 'n1',
    nodeIPs: ['192.168.0.1'],
    recorder: { event: (_o: unknown, type: string, reason: string, msg: string) => events.push(`${type} ${reason} ${msg}`) } as any,
    log: logger('kubelet-test'),
    lightweight: true,
    allocatable: { cpu: '2', memory: '4Gi' },
  };
}

test('atomic writer: ..data switch, top-level symlinks, stale files removed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-aw-'));
  try {
    assert.equal(await writeAtomic(dir, [{ path: 'a', data: Buffer.from('1'), mode: 0o644 }, { path: 'sub/b', data: Buffer.from('2'), mode: 0o600 }]), true);
    assert.equal(await readFile(join(dir, 'a'), 'utf8'), '1');
    assert.equal(await readFile(join(dir, 'sub/b'), 'utf8'), '2');
    assert.equal(await readlink(join(dir, 'a')), join('..data', 'a'));
    assert.equal((await stat(join(dir, 'sub/b'))).mode & 0o777, 0o600);
    assert.equal(await writeAtomic(dir, [{ path: 'a', data: Buffer.from('1'), mode: 0o644 }, { path: 'sub/b', data: Buffer.from('2'), mode: 0o600 }]), false);
    await writeAtomic(dir, [{ path: 'a', data: Buffer.from('changed'), mode: 0o644 }]);
    assert.equal(await readFile(join(dir, 'a'), 'utf8'), 'changed');
    await assert.rejects(stat(join(dir, 'sub')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('atomic writer: a resync with the same payload restores what was changed on disk since the last write', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-aw-'));
  const payload = () => [{ path: 'token', data: Buffer.from('secret-1'), mode: 0o644 }, { path: 'ca.crt', data: Buffer.from('ca'), mode: 0o644 }];
  try {
    assert.equal(await writeAtomic(dir, payload()), true);
    assert.equal(await writeAtomic(dir, payload()), false);
    // Edited in place through the visible link: same inode, new content.
    await writeFile(join(dir, 'token'), 'tampered');
    assert.equal(await writeAtomic(dir, payload()), true);
    assert.equal(await readFile(join(dir, 'token'), 'utf8'), 'secret-1');
    // Edited and its size kept: the content differs, the digest of the payload does not.
    await writeFile(join(dir, 'ca.crt'), 'xx');
    assert.equal(await writeAtomic(dir, payload()), true);
    assert.equal(await readFile(join(dir, 'ca.crt'), 'utf8'), 'ca');
    // A visible link removed: the data is current, the link comes back.
    await rm(join(dir, 'token'));
    assert.equal(await writeAtomic(dir, payload()), false);
    assert.equal(await readFile(join(dir, 'token'), 'utf8'), 'secret-1');
    // A file removed from the data directory.
    await rm(join(dir, '..data', 'ca.crt'));
    assert.equal(await writeAtomic(dir, payload()), true);
    assert.equal(await readFile(join(dir, 'ca.crt'), 'utf8'), 'ca');
    // A new payload is written whatever the disk says.
    assert.equal(await writeAtomic(dir, [{ path: 'token', data: Buffer.from('secret-2'), mode: 0o644 }, { path: 'ca.crt', data: Buffer.from('ca'), mode: 0o644 }]), true);
    assert.equal(await readFile(join(dir, 'token'), 'utf8'), 'secret-2');
    // After the directory is torn down and forgotten, the same payload is written again.
    forgetWritten(dir);
    await rm(dir, { recursive: true, force: true });
    assert.equal(await writeAtomic(dir, payload()), true);
    assert.equal(await readFile(join(dir, 'token'), 'utf8'), 'secret-1');
  } finally {
    forgetWritten(dir);
    await rm(dir, { recursive: true, force: true });
  }
});

test('hostPath type checks', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-hp-'));
  try {
    await writeFile(join(dir, 'f'), 'x');
    await checkHostPathType(join(dir, 'f'), 'File');
    await assert.rejects(checkHostPathType(join(dir, 'f'), 'Directory'), /hostPath type check failed: .* is not a directory/);
    await assert.rejects(checkHostPathType(join(dir, 'missing'), 'File'), /is not a file/);
    await checkHostPathType(join(dir, 'new/dir'), 'DirectoryOrCreate');
    assert.ok((await stat(join(dir, 'new/dir'))).isDirectory());
    await checkHostPathType(join(dir, 'p/file'), 'FileOrCreate');
    assert.ok((await stat(join(dir, 'p/file'))).isFile());
    await assert.rejects(checkHostPathType(join(dir, 'f'), 'Socket'), /not a socket file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('volume manager: emptyDir, configMap items, secret modes, downwardAPI, projected; mounts with subPath; FailedMount; teardown', async () => {
  const root = await mkdtemp(join(tmpdir(), 'k8ts-vm-'));
  const events: string[] = [];
  const host = fakeHost(
    {
      'configmaps/ns/cfg': { metadata: { name: 'cfg' }, data: { 'app.conf': 'x=1', other: 'o' } },
      'secrets/ns/sec': { metadata: { name: 'sec' }, data: { token: Buffer.from('s3cret').toString('base64') } },
    },
    events,
  );
  const vm = new VolumeManager(host, root);
  const pod: Pod = {
    metadata: { name: 'p', namespace: 'ns', uid: 'uid-1', labels: { a: 'b' } },
    spec: {
      containers: [
        {
          name: 'c',
          volumeMounts: [
            { name: 'scratch', mountPath: '/scratch' },
            { name: 'cfg', mountPath: '/etc/app', readOnly: true },
            { name: 'scratch', mountPath: '/data', subPath: 'sub/dir' },
          ],
        },
      ],
      volumes: [
        { name: 'scratch', emptyDir: {} },
        { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'conf/app.conf' }] } },
        { name: 'sec', secret: { secretName: 'sec', defaultMode: 0o400 } },
        { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
        { name: 'proj', projected: { sources: [{ configMap: { name: 'cfg', items: [{ key: 'other', path: 'other' }] } }, { serviceAccountToken: { path: 'token' } }, { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } }] } },
      ],
    },
  };
  try {
    const r = await vm.setUpPod(pod);
    assert.ok(r.ok, JSON.stringify(events));
    const paths = r.paths;
    assert.equal(await readFile(join(paths.get('cfg')!, 'conf/app.conf'), 'utf8'), 'x=1');
    await assert.rejects(stat(join(paths.get('cfg')!, 'other')));
    assert.equal(await readFile(join(paths.get('sec')!, 'token'), 'utf8'), 's3cret');
    assert.equal((await stat(join(paths.get('sec')!, 'token'))).mode & 0o777, 0o400);
    assert.equal(await readFile(join(paths.get('info')!, 'labels'), 'utf8'), 'a="b"');
    assert.equal(await readFile(join(paths.get('proj')!, 'other'), 'utf8'), 'o');
    assert.equal(await readFile(join(paths.get('proj')!, 'ns'), 'utf8'), 'ns');
    assert.ok(events.some((e) => e.includes('ServiceAccountTokenSkipped')));
    assert.match(paths.get('scratch')!, /pods\/uid-1\/volumes\/kubernetes.io~empty-dir\/scratch$/);
    const mounts = await vm.mountsFor(pod, pod.spec.containers[0]!, paths);
    assert.deepEqual(mounts.map((m) => [m.containerPath, m.readOnly]), [['/scratch', false], ['/etc/app', true], ['/data', false]]);
    assert.ok((await stat(mounts[2]!.hostPath)).isDirectory());
    await vm.tearDownPod('uid-1', pod);
    await assert.rejects(stat(join(root, 'pods/uid-1')));

    const bad: Pod = { metadata: { name: 'q', namespace: 'ns', uid: 'uid-2' }, spec: { containers: [{ name: 'c' }], volumes: [{ name: 'missing', configMap: { name: 'nope' } }] } };
    const r2 = await vm.setUpPod(bad);
    assert.equal(r2.ok, false);
    assert.ok(events.includes('Warning FailedMount MountVolume.SetUp failed for volume "missing" : configmap "nope" not found'), events.join('\n'));
    await mkdir(join(root, 'x'), { recursive: true });
    await vm.tearDownPod('uid-2', bad);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
