import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { RestClient } from '../../src/client/rest.js';
import { DockerRuntime } from '../../src/runtime/docker/runtime.js';
import { dockerSkip } from '../helpers/images.js';
import type { TestServer } from '../helpers/apiserver.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { eventually, PODS } from '../kubelet/harness.js';
import { startDockerNode, type DockerNode } from '../helpers/docker-node.js';

// `kubectl top` (the real 1.32 client) against metrics.k8s.io served by the
// API server, scraping a kubelet on Docker: the figures must agree within
// 10 % with what the containers' cgroups say, read here independently.

const skip = await dockerSkip();
const NS = 'default';

/** The cgroup v1/v2 directories of a host pid, as /proc/PID/cgroup names them. */
function cgroupDirs(pid: number): { cpu: string; memory: string; v2: boolean } {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const find = (ctrl: string): string | undefined => lines.map((l) => l.split(':')).find((p) => p[1]!.split(',').includes(ctrl))?.[2];
  const cpuacct = find('cpuacct');
  const memory = find('memory');
  if (cpuacct && memory) {
    const cpuRoot = ['cpuacct', 'cpu,cpuacct'].map((d) => `/sys/fs/cgroup/${d}`).find((d) => { try { readFileSync(`${d}/cpuacct.usage`); return true; } catch { return false; } })!;
    return { cpu: `${cpuRoot}${cpuacct}`, memory: `/sys/fs/cgroup/memory${memory}`, v2: false };
  }
  const unified = lines.find((l) => l.startsWith('0::'))!.slice(3);
  return { cpu: `/sys/fs/cgroup${unified}`, memory: `/sys/fs/cgroup${unified}`, v2: true };
}

function cpuSeconds(d: ReturnType<typeof cgroupDirs>): number {
  if (!d.v2) return Number(readFileSync(`${d.cpu}/cpuacct.usage`, 'utf8')) / 1e9;
  return Number(/^usage_usec (\d+)/m.exec(readFileSync(`${d.cpu}/cpu.stat`, 'utf8'))![1]) / 1e6;
}

function workingSet(d: ReturnType<typeof cgroupDirs>): number {
  const stat = readFileSync(`${d.memory}/memory.stat`, 'utf8');
  if (!d.v2) return Number(readFileSync(`${d.memory}/memory.usage_in_bytes`, 'utf8')) - Number(/^total_inactive_file (\d+)/m.exec(stat)![1]);
  return Number(readFileSync(`${d.memory}/memory.current`, 'utf8')) - Number(/^inactive_file (\d+)/m.exec(stat)![1]);
}

/** A GET on the kubelet's TLS port as the cluster admin (client certificate from the test CA). */
let kubeletGet: (port: number, path: string) => Promise<{ status: number; body: string }>;

const milli = (s: string): number => (s.endsWith('m') ? Number(s.slice(0, -1)) : Number(s) * 1000);
const mebi = (s: string): number => Number(s.replace(/Mi$/, ''));
const within = (got: number, want: number, frac = 0.1): boolean => Math.abs(got - want) <= frac * Math.max(want, 1e-9);

describe('kubectl top on a Docker node', { skip, timeout: 600_000 }, () => {
  let node: DockerNode;
  let server: TestServer;
  let client: RestClient;
  let runtime: DockerRuntime;
  let busybox: string;
  let nodeName: string;

  const pod = (name: string, cmd: string, resources: Record<string, unknown>): any => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app: 'top', role: name } },
    spec: { nodeName, terminationGracePeriodSeconds: 0, automountServiceAccountToken: false, containers: [{ name: 'main', image: busybox, imagePullPolicy: 'Never', command: ['sh', '-c', cmd], resources }] },
  });
  const pidOf = async (name: string): Promise<number> => {
    const p = await eventually(async () => {
      const x = await client.get<any>(PODS, NS, name);
      return x.status?.containerStatuses?.[0]?.ready ? x : undefined;
    });
    return (await runtime.containerPid(p.status.containerStatuses[0].containerID.replace(/^docker:\/\//, '')))!;
  };

  before(async () => {
    // Secure, so RBAC decides who may read metrics; the API server calls the kubelet over TLS as upstream.
    node = await startDockerNode({ name: 'top', server: { secure: true, metricResolutionMs: 4000 }, kubelet: async ({ server, nodeName }) => ({ tls: await server.kubeletTls(nodeName) }) });
    ({ server, client, runtime, busybox, nodeName } = node);
    const pki = server.pki!;
    kubeletGet = (port, path) =>
      new Promise((resolve, reject) => {
        const req = httpsGet({ host: '127.0.0.1', port, path, ca: pki.caCertPem, cert: pki.adminCertPem, key: pki.adminKeyPem, servername: nodeName, checkServerIdentity: () => undefined }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', reject);
        });
        req.on('error', reject);
      });
    // No service account controller runs beside this server: the account its admission looks up is made by hand.
    await client.create({ group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true }, NS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: NS } });
    // A small CPU quota keeps the burner's rate steady (100m) even on a busy shared machine.
    await client.create(PODS, NS, pod('burner', 'while :; do :; done', { requests: { cpu: '50m' }, limits: { cpu: '100m' } }));
    // 48 MiB in the container's /dev/shm: shared memory, charged to its cgroup and part of its working set.
    await client.create(PODS, NS, pod('hog', 'dd if=/dev/zero of=/dev/shm/fill bs=1048576 count=48 && echo held; sleep 3600', { requests: { memory: '64Mi' } }));
  });

  after(async () => {
    await node?.stop();
  });

  test('kubectl top pods --containers: CPU of a burning container and memory of a hog match their cgroups', async () => {
    const burner = cgroupDirs(await pidOf('burner'));
    const hog = cgroupDirs(await pidOf('hog'));
    // The hog has its memory once its log says so.
    await eventually(async () => (await kubectl(server.kubeconfig, ['logs', 'hog'])).stdout.includes('held'));
    const rows = (out: string): Map<string, string[]> => new Map(out.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/)).map((c) => [c[0]!, c]));
    // Load on a shared machine wavers: compare a few times, and require agreement on one of them.
    let last = '';
    const ok = await eventually(async () => {
      const c0 = cpuSeconds(burner);
      const t0 = Date.now();
      await sleep(4000);
      const cgroupMilli = ((cpuSeconds(burner) - c0) / ((Date.now() - t0) / 1000)) * 1000;
      const r = await kubectl(server.kubeconfig, ['top', 'pods', '--containers', '-l', 'app=top']);
      if (r.code !== 0) {
        last = r.stderr;
        return false;
      }
      const m = rows(r.stdout);
      const b = m.get('burner');
      const h = m.get('hog');
      if (!b || !h) return false;
      assert.equal(b[1], 'main');
      const hogCgroupMi = workingSet(hog) / 1048576;
      last = `burner kubectl ${b[2]} vs cgroup ${cgroupMilli.toFixed(0)}m; hog kubectl ${h[3]} vs cgroup ${hogCgroupMi.toFixed(1)}Mi`;
      return within(milli(b[2]!), cgroupMilli) && within(mebi(h[3]!), hogCgroupMi) ? last : false;
    }, 'top figures agree');
    assert.ok(ok, last);
    assert.ok(mebi(ok.split('hog kubectl ')[1]!.split(' ')[0]!) >= 40, `the hog holds its ~48 MiB: ${ok}`);
  });

  test('kubectl top pods -A lists the namespace; a label selector narrows; a named pod without metrics is NotFound', async () => {
    const all = await kubectlOk(server.kubeconfig, ['top', 'pods', '-A']);
    assert.match(all.split('\n')[0]!, /^NAMESPACE\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    assert.match(all, /default\s+burner\s+\d+m/);
    const one = await kubectlOk(server.kubeconfig, ['top', 'pods', '-l', 'role=hog']);
    assert.doesNotMatch(one, /burner/);
    assert.match(one, /hog/);
    const missing = await kubectl(server.kubeconfig, ['top', 'pod', 'no-such-pod']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /podmetrics.metrics.k8s.io "no-such-pod" not found/);
  });

  test('a user with the view ClusterRole (RoleBinding in default) runs kubectl top pods; without it, upstream\'s 403', async () => {
    await kubectlOk(server.kubeconfig, ['create', 'rolebinding', 'top-viewer', '--clusterrole=view', '--user=top-viewer', '-n', NS]);
    const viewer = await server.kubeconfigFor('top-viewer');
    const out = await eventually(async () => {
      const r = await kubectl(viewer, ['top', 'pods', '-l', 'app=top']);
      return r.code === 0 && /burner/.test(r.stdout) && /hog/.test(r.stdout) ? r.stdout : undefined;
    }, 'top pods as the viewer');
    assert.match(out.split('\n')[0]!, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    // Namespaced view does not reach node metrics, which are cluster-scoped.
    const nodes = await kubectl(viewer, ['top', 'nodes']);
    assert.equal(nodes.code, 1);
    assert.match(nodes.stderr, /nodes.metrics.k8s.io is forbidden: User "top-viewer" cannot list resource "nodes" in API group "metrics.k8s.io" at the cluster scope/);
    const stranger = await server.kubeconfigFor('top-stranger');
    const denied = await kubectl(stranger, ['top', 'pods']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /pods.metrics.k8s.io is forbidden: User "top-stranger" cannot list resource "pods" in API group "metrics.k8s.io" in the namespace "default"/);
  });

  test('kubectl top nodes: memory matches /proc/meminfo and CPU covers the burner', async () => {
    const meminfoWorkingSetMi = (): number => {
      const meminfo = readFileSync('/proc/meminfo', 'utf8');
      const kb = (k: string): number => Number(new RegExp(`^${k.replace(/[()]/g, '\\$&')}:\\s+(\\d+)`, 'm').exec(meminfo)![1]) * 1024;
      return (kb('MemTotal') - kb('MemFree') - kb('Inactive(file)')) / 1048576;
    };
    // The node's figure is a sample some seconds old, and suites running beside
    // this one start and stop processes of hundreds of MB: compare until a
    // sample and /proc agree (a wrong figure never does), then report the last.
    let last = '';
    const line = await eventually(async () => {
      const out = await kubectlOk(server.kubeconfig, ['top', 'nodes']);
      const l = out.split('\n').find((x) => x.startsWith(nodeName));
      if (!l) return undefined;
      const ws = meminfoWorkingSetMi();
      const mem = l.trim().split(/\s+/)[3]!;
      last = `node memory ${mem} vs /proc ${ws.toFixed(0)}Mi`;
      return within(mebi(mem), ws) ? l : undefined;
    }, 'kubectl top nodes memory agreeing with /proc/meminfo', 500).catch((err: Error) => {
      throw new Error(`${err.message}: ${last}`);
    });
    const [, cpu, cpuPct, , memPct] = line.trim().split(/\s+/);
    assert.match(cpuPct!, /^\d+%$/);
    assert.match(memPct!, /^\d+%$/);
    assert.ok(milli(cpu!) >= 50, `node CPU ${cpu} includes the 100m burner`);
  });


  test('the kubelet serves /stats/summary with the pods and the node', async () => {
    const node = await client.get<any>({ group: '', version: 'v1', resource: 'nodes', namespaced: false }, undefined, nodeName);
    const port = node.status.daemonEndpoints.kubeletEndpoint.Port;
    const res = await kubeletGet(port, '/stats/summary');
    assert.equal(res.status, 200);
    const s = JSON.parse(res.body) as any;
    assert.equal(s.node.nodeName, nodeName);
    assert.ok(s.node.memory.workingSetBytes > 0);
    const burner = s.pods.find((p: any) => p.podRef.name === 'burner');
    assert.ok(burner.containers[0].cpu.usageCoreNanoSeconds > 0);
    const text = (await kubeletGet(port, '/metrics/resource')).body;
    assert.match(text, /^# TYPE container_cpu_usage_seconds_total counter$/m);
    assert.match(text, /^container_memory_working_set_bytes\{container="main",namespace="default",pod="hog"\} \d+ \d+$/m);
    assert.match(text, /^node_cpu_usage_seconds_total \S+ \d+$/m);
    assert.match(text, /^resource_scrape_error 0$/m);
  });
});
