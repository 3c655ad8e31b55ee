// Persistent volumes (issue #12): what a Gluster volume costs a pod.
//  1. Pod start-up (create → Running, one pod at a time, each the only user
//     of the volume on the node so each pays the mount) with an inline
//     glusterfs volume against the same pod with an emptyDir.
//  2. Sequential write and read throughput (busybox dd timed by busybox time, 1 MiB blocks, write
//     with fsync) inside a Docker pod on the Gluster volume against the same
//     dd on the host through a direct mount of the same volume
//     (target ≥ 0.95×: the pod's bind mount adds nothing to the FUSE path).
// Real glusterd (one brick on local disk), real kubelet on Docker.
// Run: npm run build && node dist/bench/volumes.js [--pods N] [--mb M] [--rounds R]
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RestClient } from '../src/client/rest.js';
import { startKubelet } from '../src/kubelet/kubelet.js';
import { DockerRuntime } from '../src/runtime/docker/runtime.js';
import { LABEL_NODE_NAME } from '../src/runtime/interface.js';
import { resourceFor } from '../src/api/scheme/resources.js';
import { mountGluster } from '../src/util/gluster.js';
import { unmount } from '../src/util/mount.js';
import { ensureBusyboxImage, releaseBusyboxImage } from '../test/helpers/images.js';
import { startTestServer } from '../test/helpers/apiserver.js';
import { createVolume, deleteVolume, hostAddress, mountsUnder, startGlusterd, stopGlusterd } from '../test/helpers/gluster.js';
import { fmt, summarize, table, writeSection } from './lib/stats.js';

const run = promisify(execFile);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => Number(args[args.indexOf(`--${name}`) + 1] || 0) || dflt;
const PODS = opt('pods', 10);
const MB = opt('mb', 256);
const ROUNDS = opt('rounds', 3);
const PODS_INFO = resourceFor('', 'v1', 'pods')!;
const ENDPOINTS = resourceFor('', 'v1', 'endpoints')!;
const NODE = 'bench-volumes';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (s: string) => console.log(`[bench volumes] ${s}`);

/** busybox `time` lines ("real 0m 1.23s") around each dd of MB MiB → MiB/s. */
function ddRates(log: string): number[] {
  const out: number[] = [];
  for (const m of log.matchAll(/real\s+(\d+)m\s*([\d.]+)s/g)) out.push(MB / (Number(m[1]) * 60 + Number(m[2])));
  return out;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function ddScript(dir: string, tag: string, i: number): string {
  const lines: string[] = [];
  {
    lines.push(`/bin/busybox time /bin/busybox dd if=/dev/zero of=${dir}/${tag}-${i} bs=1048576 count=${MB} conv=fsync 2>> ${dir}/${tag}-write.log`);
    lines.push(`/bin/busybox time /bin/busybox dd if=${dir}/${tag}-${i} of=/dev/null bs=1048576 2>> ${dir}/${tag}-read.log`);
    lines.push(`rm -f ${dir}/${tag}-${i}`);
  }
  return lines.join(' && ');
}

async function main(): Promise<void> {
  const image = await ensureBusyboxImage();
  const gd = await startGlusterd();
  const vol = `k8ts-bench-${process.pid}`;
  const work = await mkdtemp(join(tmpdir(), 'k8ts-bench-volumes-'));
  const rootDir = join(work, 'kubelet');
  const hostMount = join(work, 'host-mount');
  const pauseImage = `k8ts-test/pause:bench-volumes-${process.pid}`;
  const server = await startTestServer();
  const client = RestClient.fromKubeconfig(server.kubeconfig, { component: 'bench', qps: 1000, burst: 1000 });
  const runtime = new DockerRuntime({ nodeName: NODE, pauseImage });
  const kubelet = await startKubelet({ client, runtime, nodeName: NODE, rootDir, kubeletPort: null, address: '127.0.0.1', plegRelistPeriod: 50, syncFrequency: 2000, localPathProvisioner: false });
  try {
    progress(`glusterd answers; creating volume ${vol}`);
    await createVolume(gd, vol);
    await client.create(ENDPOINTS, 'default', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'gluster' }, subsets: [{ addresses: [{ ip: hostAddress() }], ports: [{ port: 24007 }] }] });
    await client.create(resourceFor('', 'v1', 'serviceaccounts')!, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });

    const pod = (name: string, volume: Record<string, unknown>, script: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: {
        nodeName: NODE,
        terminationGracePeriodSeconds: 0,
        automountServiceAccountToken: false,
        containers: [{ name: 'c', image, imagePullPolicy: 'Never', command: ['sh', '-c', script], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        volumes: [{ name: 'data', ...volume }],
      },
    });
    const waitRunning = async (name: string): Promise<void> => {
      for (;;) {
        const p = await client.get<any>(PODS_INFO, 'default', name);
        if (p.status?.phase === 'Running') return;
        await sleep(20);
      }
    };
    const remove = async (name: string): Promise<void> => {
      await client.delete(PODS_INFO, 'default', name, { gracePeriodSeconds: 0 });
      for (;;) {
        try {
          await client.get(PODS_INFO, 'default', name);
        } catch {
          break;
        }
        await sleep(50);
      }
      // The next Gluster pod must pay the mount again.
      while ((await mountsUnder(join(rootDir, 'plugins'))).length > 0) await sleep(50);
    };
    const startOne = async (name: string, volume: Record<string, unknown>): Promise<number> => {
      const t = performance.now();
      await client.create(PODS_INFO, 'default', pod(name, volume, 'sleep 3600'));
      await waitRunning(name);
      const ms = performance.now() - t;
      await remove(name);
      return ms;
    };
    const gluster = { glusterfs: { endpoints: 'gluster', path: vol } };
    for (let i = 0; i < 3; i++) await startOne(`warm-${i}`, { emptyDir: {} });
    // Interleaved so drift on a shared machine hits both kinds alike.
    const emptyMs: number[] = [];
    const glusterMs: number[] = [];
    for (let i = 0; i < PODS; i++) {
      emptyMs.push(await startOne(`emptydir-${i}`, { emptyDir: {} }));
      glusterMs.push(await startOne(`glusterfs-${i}`, gluster));
    }
    progress(`emptyDir: ${emptyMs.map((x) => x.toFixed(0)).join(' ')} ms`);
    progress(`glusterfs: ${glusterMs.map((x) => x.toFixed(0)).join(' ')} ms`);
    const empty = summarize(emptyMs);
    const glus = summarize(glusterMs);
    // The mount alone, on the host, for reference.
    await mkdir(hostMount, { recursive: true });
    const mountMs: number[] = [];
    for (let i = 0; i < PODS; i++) {
      const t = performance.now();
      await mountGluster([hostAddress()], vol, hostMount, { logFile: join(work, 'host-mount.log') });
      mountMs.push(performance.now() - t);
      await unmount(hostMount);
    }
    const mnt = summarize(mountMs);

    progress(`throughput: ${ROUNDS} rounds of ${MB} MiB, in a pod and on the host mount, alternately`);
    await mountGluster([hostAddress()], vol, hostMount, { logFile: join(work, 'host-mount.log') });
    for (let r = 0; r < ROUNDS; r++) {
      await client.create(PODS_INFO, 'default', pod(`dd-${r}`, gluster, `${ddScript('/data', 'pod', r)} && touch /data/pod-done-${r} && sleep 3600`));
      for (;;) {
        if (await readFile(join(hostMount, `pod-done-${r}`)).then(() => true, () => false)) break;
        await sleep(200);
      }
      await remove(`dd-${r}`);
      await run('/bin/busybox', ['sh', '-c', ddScript(hostMount, 'host', r)], { timeout: 1_800_000 });
    }
    const podW = median(ddRates(await readFile(join(hostMount, 'pod-write.log'), 'utf8')));
    const podR = median(ddRates(await readFile(join(hostMount, 'pod-read.log'), 'utf8')));
    const hostW = median(ddRates(await readFile(join(hostMount, 'host-write.log'), 'utf8')));
    const hostR = median(ddRates(await readFile(join(hostMount, 'host-read.log'), 'utf8')));
    await unmount(hostMount);

    const body = [
      `Real glusterd (Debian's glusterfs-server, one brick on the local disk, loopback), k8ts kubelet on the Docker runtime, busybox image. Run: \`node dist/bench/volumes.js --pods ${PODS} --mb ${MB} --rounds ${ROUNDS}\`. Measured ${new Date().toISOString().slice(0, 10)}.`,
      '',
      `Pod start-up (create → Running, ${PODS} pods of each kind one after the other, the kinds interleaved; each Gluster pod is the node's only user of the volume, so each pays the mount):`,
      '',
      table([
        ['volume', 'p50 ms', 'p99 ms', 'max ms'],
        ['emptyDir', fmt(empty.p50, 0), fmt(empty.p99, 0), fmt(empty.max, 0)],
        ['glusterfs (mount.glusterfs + bind)', fmt(glus.p50, 0), fmt(glus.p99, 0), fmt(glus.max, 0)],
        ['mount cost (p50 difference)', fmt(glus.p50 - empty.p50, 0), '', ''],
        ['mount.glusterfs alone on the host', fmt(mnt.p50, 0), fmt(mnt.p99, 0), fmt(mnt.max, 0)],
      ]),
      '',
      `Sequential throughput on the Gluster volume, busybox dd with 1 MiB blocks timed by busybox time (10 ms resolution) (write: ${MB} MiB with fsync; read: the file just written), median of ${ROUNDS} rounds, pod and host rounds alternating:`,
      '',
      table([
        ['', 'in the pod MiB/s', 'host mount MiB/s', 'pod / host', 'target'],
        ['write', fmt(podW, 1), fmt(hostW, 1), fmt(podW / hostW, 2), '≥ 0.95'],
        ['read', fmt(podR, 1), fmt(hostR, 1), fmt(podR / hostR, 2), '≥ 0.95'],
      ]),
    ].join('\n');
    console.log(body);
    await writeSection(join(repo, 'docs', 'benchmarks.md'), 'Persistent volumes: Gluster mount cost and throughput (bench/volumes)', body);
  } finally {
    await kubelet.stop();
    const sel = { labelSelector: { [LABEL_NODE_NAME]: NODE } };
    for (const c of await runtime.listContainers(sel)) await runtime.removeContainer(c.id).catch(() => undefined);
    for (const s of await runtime.listPodSandboxes(sel)) await runtime.removePodSandbox(s.id).catch(() => undefined);
    await runtime.removeImage(pauseImage).catch(() => undefined);
    await runtime.close();
    for (const m of (await mountsUnder(work)).reverse()) await unmount(m).catch(() => undefined);
    client.close();
    await server.close();
    await deleteVolume(gd, vol);
    await stopGlusterd(gd);
    await rm(work, { recursive: true, force: true });
    await releaseBusyboxImage();
  }
}

await main();
