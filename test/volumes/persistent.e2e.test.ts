import { execFileSync } from 'node:child_process';
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { startKubelet } from '../../src/kubelet/kubelet.js';
import { DockerRuntime } from '../../src/runtime/docker/runtime.js';
import { LABEL_NODE_NAME } from '../../src/runtime/interface.js';
import { startControllerManager, type RunningControllerManager } from '../../src/controllers/manager.js';
import { startScheduler, type RunningScheduler } from '../../src/cmd/scheduler.js';
import { ensureDefaultStorageClass } from '../../src/cmd/default-storage.js';
import { PVCS, PVS } from '../../src/controllers/volume/types.js';
import { unmount } from '../../src/util/mount.js';
import { dockerSkip, ensureBusyboxImage, releaseBusyboxImage } from '../helpers/images.js';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startK8ts } from '../helpers/k8ts-process.js';
import { createVolume, deleteVolume, gluster, glusterSkip, hostAddress, mountsUnder, startGlusterd, stopGlusterd, type Glusterd } from '../helpers/gluster.js';
import { eventually, eventsFor, FAST, PODS } from '../kubelet/harness.js';
import { eventually as eventuallyOrFail } from '../controllers/workloads/harness.js';

// Persistent volumes end to end: a real glusterd with a one-brick volume,
// two real kubelets on the Docker runtime (two node names, two root dirs; the
// second is its own `k8ts kubelet` process, as a second machine would run it),
// the PV controller, the scheduler with VolumeBinding, and kubectl.

const skip = (await dockerSkip()) || glusterSkip();
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('persistent volumes on docker with glusterfs', { skip }, () => {
  let server: TestServer;
  let client: RestClient;
  let gd: Glusterd;
  let brick: string;
  let busybox: string;
  let cm: RunningControllerManager;
  let scheduler: RunningScheduler;
  const tag = randomBytes(3).toString('hex');
  const vol = `k8ts-e2e-${tag}`;
  const pauseImage = `k8ts-test/pause:pv-${process.pid}`;
  const nodes: { name: string; rootDir: string; runtime: DockerRuntime; stop: () => Promise<void> }[] = [];
  const k = (args: string[], input?: string): Promise<string> => kubectlOk(server.kubeconfig, args, { input });

  const podSpec = (name: string, node: string, script: string, volumes: unknown[]): string =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': node },
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'c', image: busybox, imagePullPolicy: 'Never', command: ['sh', '-c', script], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        volumes,
      },
    });
  const claimVolume = (claimName: string) => [{ name: 'data', persistentVolumeClaim: { claimName } }];
  const running = (name: string) =>
    eventually(async () => {
      const p = await client.get<any>(PODS, 'default', name);
      return p.status?.phase === 'Running' && p.status.containerStatuses?.every((c: any) => c.ready) ? p : undefined;
    }, `pod ${name} running`);
  const deletePod = async (name: string): Promise<void> => {
    await k(['delete', 'pod', name, '--wait=false']);
    await eventually(async () => (await kubectl(server.kubeconfig, ['get', 'pod', name])).code !== 0, `pod ${name} gone`, 200);
  };
  // The shell creates the file before the command writes it: wait for the whole last line, not the file.
  const fileOnBrick = (rel: string) =>
    eventually(async () => {
      const text = existsSync(join(brick, rel)) ? await readFile(join(brick, rel)) : undefined;
      return text?.toString().endsWith('\n') ? text : undefined;
    }, `${rel} on the brick`, 100);

  before(async () => {
    busybox = await ensureBusyboxImage();
    gd = await startGlusterd();
    brick = await createVolume(gd, vol);
    // Secure: the storage admission plugins (default class, protection finalizers) run in the authenticated chain only.
    server = await startTestServer({ secure: true });
    client = RestClient.fromKubeconfig(server.kubeconfig, { component: 'pv-e2e' });
    for (const suffix of ['a', 'b']) {
      const name = `k8ts-pv-${tag}-${suffix}`;
      const rootDir = await mkdtemp(join(tmpdir(), `k8ts-pv-kubelet-${suffix}-`));
      if (suffix === 'a') {
        const runtime = new DockerRuntime({ nodeName: name, pauseImage });
        const kubelet = await startKubelet({ ...FAST, client, runtime, nodeName: name, rootDir });
        nodes.push({ name, rootDir, runtime, stop: () => kubelet.stop() });
      } else {
        // The other node is a second real kubelet as shipped: its own `k8ts kubelet` process, node name and root dir.
        const proc = await startK8ts(
          ['kubelet', '--kubeconfig', server.kubeconfig, '--node-name', name, '--runtime', 'docker', '--root-dir', rootDir, '--node-ip', '127.0.0.1', '--port', '0', '--node-status-update-frequency', '200ms', '--sync-frequency', '2s'],
          /kubelet is running as node/,
        );
        // Only to list and remove what this node left in dockerd afterwards.
        const runtime = new DockerRuntime({ nodeName: name });
        nodes.push({ name, rootDir, runtime, stop: async () => void (await proc.stop()) });
      }
    }
    cm = await startControllerManager({ client, leaderElect: false, controllers: ['serviceaccount', 'persistentvolume-binder', 'pvc-protection', 'pv-protection'] });
    await eventually(async () => (await kubectl(server.kubeconfig, ['get', 'serviceaccount', 'default'])).code === 0, 'default service account', 100);
    scheduler = await startScheduler({ kubeconfig: server.kubeconfig, leaderElect: false });
    await ensureDefaultStorageClass(loadKubeconfig(server.kubeconfig));
    // The Gluster servers, as upstream's glusterfs volumes name them: an Endpoints object.
    await k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'glusterfs-cluster', namespace: 'default' }, subsets: [{ addresses: [{ ip: hostAddress() }], ports: [{ port: 24007 }] }] }));
  });

  after(async () => {
    for (const p of (await client?.list<any>(PODS, 'default').catch(() => ({ items: [] })))?.items ?? []) await client.delete(PODS, 'default', p.metadata.name, { gracePeriodSeconds: 0 }).catch(() => undefined);
    await eventually(async () => (await client.list<any>(PODS, 'default')).items.length === 0, 'pods gone', 200).catch(() => undefined);
    await scheduler?.stop();
    await cm?.stop();
    for (const n of nodes) {
      await n.stop();
      const sel = { labelSelector: { [LABEL_NODE_NAME]: n.name } };
      for (const c of await n.runtime.listContainers(sel)) await n.runtime.removeContainer(c.id).catch(() => undefined);
      for (const s of await n.runtime.listPodSandboxes(sel)) await n.runtime.removePodSandbox(s.id).catch(() => undefined);
    }
    await nodes[0]?.runtime.removeImage(pauseImage).catch(() => undefined);
    for (const n of nodes) {
      await n.runtime.close();
      // Nothing of ours may stay mounted; unmount what a failure left so the directory can go.
      for (const m of (await mountsUnder(n.rootDir)).reverse()) await unmount(m).catch(() => undefined);
      await rm(n.rootDir, { recursive: true, force: true });
    }
    client?.close();
    await server?.close();
    if (gd) {
      for (const v of [vol, `${vol}-dyn`]) await deleteVolume(gd, v);
      await stopGlusterd(gd);
    }
    await releaseBusyboxImage();
  });

  test('a pod writes to a Gluster PV; a pod on another node reads the same bytes; the file is on the brick; the mount is shared and released', async () => {
    const [a, b] = nodes;
    await k(['create', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `gv-${tag}` },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteMany'], storageClassName: 'gluster-static', glusterfs: { endpoints: 'glusterfs-cluster', path: vol } },
    }));
    await k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'shared', namespace: 'default' }, spec: { accessModes: ['ReadWriteMany'], storageClassName: 'gluster-static', resources: { requests: { storage: '1Gi' } } } }));
    await eventually(async () => (await client.get<any>(PVCS, 'default', 'shared')).status?.phase === 'Bound', 'claim bound');

    await k(['create', '-f', '-'], podSpec('writer', a!.name, 'dd if=/dev/urandom of=/data/blob bs=4096 count=64 2>/dev/null && sha256sum /data/blob > /data/blob.sha && sleep 3600', claimVolume('shared')));
    await running('writer');
    const written = await fileOnBrick('blob.sha');
    const blob = await readFile(join(brick, 'blob'));
    assert.equal(blob.length, 4096 * 64);
    assert.equal(written.toString().split(' ')[0], sha(blob));
    assert.equal((await mountsUnder(join(a!.rootDir, 'plugins', 'kubernetes.io~glusterfs'))).length, 1);

    await deletePod('writer');
    await eventually(async () => (await mountsUnder(a!.rootDir)).length === 0, 'node a unmounted');

    // Two readers on node b share one Gluster mount.
    await k(['create', '-f', '-'], podSpec('reader-1', b!.name, 'sha256sum /data/blob > /data/read-1.sha && sleep 3600', claimVolume('shared')));
    await k(['create', '-f', '-'], podSpec('reader-2', b!.name, 'sleep 3600', claimVolume('shared')));
    await running('reader-1');
    await running('reader-2');
    assert.equal((await fileOnBrick('read-1.sha')).toString(), written.toString());
    const bMounts = () => mountsUnder(join(b!.rootDir, 'plugins', 'kubernetes.io~glusterfs'));
    assert.equal((await bMounts()).length, 1);
    await deletePod('reader-1');
    // The other pod still uses it: still mounted, still writable.
    assert.equal((await bMounts()).length, 1);
    await deletePod('reader-2');
    await eventually(async () => (await bMounts()).length === 0, 'node b unmounted after the last pod');
  });

  test('a Gluster server that is down gives FailedMount with the reason; the pod starts once it is up', async () => {
    await gluster('volume', 'stop', vol, 'force');
    await k(['create', '-f', '-'], podSpec('patient', nodes[0]!.name, 'echo ok > /data/patient.txt && sleep 3600', [{ name: 'data', glusterfs: { endpoints: 'glusterfs-cluster', path: vol } }]));
    const ev = await eventually(async () => (await eventsFor(client, 'patient')).find((e) => e.reason === 'FailedMount'), 'FailedMount');
    assert.equal(ev.type, 'Warning');
    assert.match(ev.message, /^MountVolume.SetUp failed for volume "data" : mount failed: exit status \d+\nMounting command: mount\nMounting arguments: -t glusterfs -o log-file=\S+,log-level=ERROR \S+:\/k8ts-e2e-\w+ \S+\nOutput: Mount failed\. Check the log file/);
    await gluster('volume', 'start', vol);
    await running('patient');
    assert.equal((await fileOnBrick('patient.txt')).toString(), 'ok\n');
    await deletePod('patient');
    await eventually(async () => (await mountsUnder(nodes[0]!.rootDir)).length === 0, 'unmounted');
  });

  test('several Gluster servers in the Endpoints: one that refuses is passed over, the next one mounts', async () => {
    // The first "server" is an address in a network namespace this test makes, where nothing listens.
    const ns = `k8ts-gl-${tag}`;
    const ip = (...a: string[]) => execFileSync('ip', a, { stdio: 'ignore' });
    ip('netns', 'add', ns);
    try {
      ip('link', 'add', `k8tsgl${tag}`, 'type', 'veth', 'peer', 'name', `k8tsgp${tag}`);
      ip('link', 'set', `k8tsgp${tag}`, 'netns', ns);
      ip('addr', 'add', '198.51.100.1/30', 'dev', `k8tsgl${tag}`);
      ip('link', 'set', `k8tsgl${tag}`, 'up');
      ip('netns', 'exec', ns, 'ip', 'addr', 'add', '198.51.100.2/30', 'dev', `k8tsgp${tag}`);
      ip('netns', 'exec', ns, 'ip', 'link', 'set', `k8tsgp${tag}`, 'up');
      await k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'glusterfs-two', namespace: 'default' }, subsets: [{ addresses: [{ ip: '198.51.100.2' }, { ip: hostAddress() }], ports: [{ port: 24007 }] }] }));
      await k(['create', '-f', '-'], podSpec('second-server', nodes[0]!.name, 'echo via-second > /data/second.txt && sleep 3600', [{ name: 'data', glusterfs: { endpoints: 'glusterfs-two', path: vol } }]));
      await running('second-server');
      assert.equal((await fileOnBrick('second.txt')).toString(), 'via-second\n');
      const mounts = (await readFile('/proc/mounts', 'utf8')).split('\n').filter((l) => l.includes(nodes[0]!.rootDir) && l.includes('fuse.glusterfs'));
      assert.ok(mounts.some((l) => l.startsWith(`${hostAddress()}:`)), `mounted from the server that answers: ${mounts.join('; ')}`);
      await deletePod('second-server');
      await eventually(async () => (await mountsUnder(nodes[0]!.rootDir)).length === 0, 'unmounted');
      await k(['delete', 'endpoints', 'glusterfs-two']);
    } finally {
      execFileSync('ip', ['link', 'del', `k8tsgl${tag}`], { stdio: 'ignore' });
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    }
  });

  test('local-path: a claim without a class binds once its pod is scheduled; data under the node dir; Delete removes it, Retain keeps it', async () => {
    const b = nodes[1]!;
    const sc = await k(['get', 'sc']);
    assert.match(sc, /local-path \(default\)\s+k8ts.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+true/);
    await k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'lp', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } } }));
    await eventually(async () => (await eventsFor(client, 'lp', 'PersistentVolumeClaim')).some((e) => e.reason === 'WaitForFirstConsumer'), 'WaitForFirstConsumer');
    assert.equal((await client.get<any>(PVCS, 'default', 'lp')).status.phase, 'Pending');
    await k(['create', '-f', '-'], podSpec('lp-user', b.name, 'echo local > /data/hello && sleep 3600', claimVolume('lp')));
    await running('lp-user');
    const claim = await client.get<any>(PVCS, 'default', 'lp');
    assert.equal(claim.metadata.annotations['volume.kubernetes.io/selected-node'], b.name);
    const pv = await client.get<any>(PVS, undefined, claim.spec.volumeName);
    assert.equal(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0], b.name);
    const dir = pv.spec.hostPath.path as string;
    assert.ok(dir.startsWith(join(b.rootDir, 'storage')));
    assert.equal(await readFile(join(dir, 'hello'), 'utf8'), 'local\n');
    const out = await k(['get', 'pvc', 'lp']);
    assert.match(out, new RegExp(`lp\\s+Bound\\s+${pv.metadata.name}\\s+64Mi\\s+RWO\\s+local-path`));
    // Events are posted apart from the objects they speak of: wait for them rather than read them once.
    let seen: string[] = [];
    await eventually(async () => {
      seen = (await eventsFor(client, 'lp', 'PersistentVolumeClaim')).map((e) => `${e.reason} (${e.source?.component})`);
      return seen.some((r) => r.startsWith('ExternalProvisioning ')) && seen.some((r) => r.startsWith('ProvisioningSucceeded '));
    }, 'ExternalProvisioning and ProvisioningSucceeded events').catch((err: Error) => {
      throw new Error(`${err.message}; the claim's events: ${seen.join(', ') || 'none'}`);
    });

    // Growing the claim: the class allows it and a directory has no size of its own.
    await k(['patch', 'pvc', 'lp', '-p', '{"spec":{"resources":{"requests":{"storage":"128Mi"}}}}']);
    await eventually(async () => (await client.get<any>(PVCS, 'default', 'lp')).status.capacity.storage === '128Mi', 'expanded');

    await deletePod('lp-user');
    await k(['delete', 'pvc', 'lp']);
    await eventually(async () => !existsSync(dir), 'local-path directory removed (Delete)');
    await eventually(async () => (await kubectl(server.kubeconfig, ['get', 'pv', pv.metadata.name])).code !== 0, 'PV deleted');

    // Retain: the PV is Released and the data stays.
    await k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local-retain' }, provisioner: 'k8ts.io/local-path', reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer' }));
    await k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'keep', namespace: 'default' }, spec: { storageClassName: 'local-retain', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } } }));
    await k(['create', '-f', '-'], podSpec('keeper', b.name, 'echo kept > /data/kept && sleep 3600', claimVolume('keep')));
    await running('keeper');
    const keptPv = await client.get<any>(PVS, undefined, (await client.get<any>(PVCS, 'default', 'keep')).spec.volumeName);
    await deletePod('keeper');
    await k(['delete', 'pvc', 'keep']);
    await eventually(async () => (await client.get<any>(PVS, undefined, keptPv.metadata.name)).status.phase === 'Released', 'Released');
    assert.equal(await readFile(join(keptPv.spec.hostPath.path, 'kept'), 'utf8'), 'kept\n');
    await k(['delete', 'pv', keptPv.metadata.name]);
  });

  test('scheduler: a pod goes where its local PV is; with no volume to bind it reports FailedScheduling as upstream', async () => {
    const a = nodes[0]!;
    await k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local-static' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' }));
    const path = join(a.rootDir, 'static-local');
    await mkdir(path, { recursive: true });
    await k(['create', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `local-${tag}` },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'local-static',
        local: { path },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [a.name] }] }] } },
      },
    }));
    const claim = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' }, spec: { storageClassName: 'local-static', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    await k(['create', '-f', '-'], claim('pinned'));
    const anywhere = (name: string, claimName: string) => JSON.parse(podSpec(name, '', 'echo pinned > /data/p && sleep 3600', claimVolume(claimName)));
    const p1 = anywhere('pinned-user', 'pinned');
    delete p1.spec.nodeSelector;
    await k(['create', '-f', '-'], JSON.stringify(p1));
    const p = await running('pinned-user');
    assert.equal(p.spec.nodeName, a.name);
    assert.equal(await readFile(join(path, 'p'), 'utf8'), 'pinned\n');

    await k(['create', '-f', '-'], claim('nothing'));
    const p2 = anywhere('stuck', 'nothing');
    delete p2.spec.nodeSelector;
    await k(['create', '-f', '-'], JSON.stringify(p2));
    const ev = await eventually(async () => (await eventsFor(client, 'stuck')).find((e) => e.reason === 'FailedScheduling'), 'FailedScheduling');
    assert.match(ev.message, /^0\/2 nodes are available: 2 node\(s\) didn't find available persistent volumes to bind\./);
    await deletePod('stuck');
    await deletePod('pinned-user');
    await k(['delete', 'pvc', 'pinned', 'nothing']);
    await k(['delete', 'pv', `local-${tag}`]);
  });

  test('glusterfs class: each claim gets its own directory on the Gluster volume, removed with the claim', async () => {
    const dynBrick = await createVolume(gd, `${vol}-dyn`);
    await k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'glusterfs' }, provisioner: 'k8ts.io/glusterfs', parameters: { endpoints: 'glusterfs-cluster', endpointsNamespace: 'default', volume: `${vol}-dyn` }, allowVolumeExpansion: true }));
    await k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'dyn', namespace: 'default' }, spec: { storageClassName: 'glusterfs', accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Gi' } } } }));
    const claim = await eventually(async () => {
      const c = await client.get<any>(PVCS, 'default', 'dyn');
      return c.status?.phase === 'Bound' ? c : undefined;
    }, 'dyn bound');
    const pvName = claim.spec.volumeName as string;
    assert.ok(existsSync(join(dynBrick, pvName)));
    await k(['create', '-f', '-'], podSpec('dyn-user', nodes[1]!.name, 'echo dynamic > /data/d && sleep 3600', claimVolume('dyn')));
    await running('dyn-user');
    assert.equal(await readFile(join(dynBrick, pvName, 'd'), 'utf8'), 'dynamic\n');
    await k(['patch', 'pvc', 'dyn', '-p', '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}']);
    await eventually(async () => (await client.get<any>(PVCS, 'default', 'dyn')).status.capacity.storage === '2Gi', 'expanded');
    await deletePod('dyn-user');
    await k(['delete', 'pvc', 'dyn']);
    await eventually(async () => !existsSync(join(dynBrick, pvName)), 'directory removed from the volume');
    await eventually(async () => (await kubectl(server.kubeconfig, ['get', 'pv', pvName])).code !== 0, 'PV deleted');
    assert.deepEqual((await readdir(dynBrick)).filter((e) => e !== '.glusterfs'), []);
  });

  test('no mount is left behind', async () => {
    // The kubelet tears volumes down just after the pod leaves the API: give it that moment, no more.
    for (const n of nodes) await eventuallyOrFail(`no mount under ${n.rootDir}`, async () => (await mountsUnder(n.rootDir)).length === 0, 60_000);
    for (const n of nodes) assert.deepEqual(await mountsUnder(n.rootDir), []);
    // Nor anywhere else (the provisioner's short-lived mount of the volume in the controller manager included).
    const ofVolume = async (): Promise<string[]> => (await readFile('/proc/mounts', 'utf8')).split('\n').filter((l) => l.includes(vol));
    await eventuallyOrFail('no mount of the Gluster volumes', async () => (await ofVolume()).length === 0, 60_000);
    assert.deepEqual(await ofVolume(), []);
  });
});
