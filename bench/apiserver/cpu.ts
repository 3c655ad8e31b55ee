// The API server's own CPU time per pod create (user + system, from /proc),
// a figure that holds up on a loaded machine where creates/s do not.
// Run: npm run build && node dist/bench/apiserver/cpu.js [--clients 64] [--creates 3000] [--warmup 500] [--watchers 0] [--op create|bind|lease|status|event|get] [--first-status] [--lease-rv] [--as admin|user|insecure] [--prof DIR] [--repo DIR]
// --watchers N: N JSON watches of the written collection (from the current revision) while measuring, as
// informers, the scheduler and controllers hold; each write is then also an event sent N times.
// --watch-selector SEL: the watchers' fieldSelector, e.g. spec.nodeName=n1 as each kubelet watches its pods.
// --warmup N: requests before the measurement. The default 500 leaves V8's optimising compiler busy for the
// first thousands of requests (a third of the CPU of a 3,000-create run); some 10,000 measure the steady state.
// --op bind measures a create and then a pods/binding (the scheduler's write) of each pod: one op is both requests,
// as in the scheduler benchmark, where the pod's create event has reached the watchers before its binding.
// --op event measures core/v1 Event creates, each as a kubelet's recorder writes it (the six events of a pod's start).
// --op get measures GETs of one small object (a ServiceAccount): the request path without a write.
// --op lease measures Lease renewals instead (a PUT of spec.renewTime, as kubelets send every 10 s), on 500 Leases;
// with --lease-rv each names the resourceVersion of its Lease's last write, as a kubelet's does.
// --op status measures pod status writes, as the kubelet's status manager sends them: a strategic merge PATCH of
// pods/status (phase, conditions, IPs, container states with a changing time), on 500 bound pods; with --first-status
// each on a pod of its own, bound and never written by the kubelet before (warm-up + measured pods are created first).
// --as: who sends them. admin (default): the kubeconfig's system:masters certificate over TLS; user: an ordinary
// user's client certificate allowed by a RoleBinding to edit, so RBAC searches bindings (issue #10's secure case);
// insecure: plain HTTP to --insecure-port, no authentication or authorization (#10's "auth off"). user against
// insecure is the CPU that TLS, authentication and RBAC add to a request, a figure the machine's load does not move.
// --prof writes a V8 CPU profile of the server (node --cpu-prof) into DIR.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { spawnApiServer } from '../lib/apiserver-process.js';
import { fmt, runConcurrent, summarize } from '../lib/stats.js';
import { benchNodeArgs, option as opt } from '../lib/args.js';
import { freePort } from '../../test/helpers/ports.js';
import { issueClientCert, type ClusterPki } from '../../src/pki/index.js';

const here = dirname(fileURLToPath(import.meta.url));
// --repo DIR: run another checkout's build (e.g. main's) for a before/after comparison.
const repo = process.argv.includes('--repo') ? process.argv[process.argv.indexOf('--repo') + 1]! : join(here, '..', '..', '..');
const args = process.argv.slice(2);
const clients = Number(opt('--clients', '64'));
const creates = Number(opt('--creates', '3000'));
const warmup = Number(opt('--warmup', '500'));
const watchers = Number(opt('--watchers', '0'));
const watchSelector = opt('--watch-selector', '');
const prof = args.includes('--prof') ? opt('--prof', '') : '';
const op = opt('--op', 'create');
const firstStatus = args.includes('--first-status');
const leaseRv = args.includes('--lease-rv');
if (leaseRv && op !== 'lease') throw new Error('--lease-rv goes with --op lease');
if (firstStatus && op !== 'status') throw new Error('--first-status goes with --op status');
const as = opt('--as', 'admin');
if (!['admin', 'user', 'insecure'].includes(as)) throw new Error(`--as admin|user|insecure, not ${as}`);

const TICK_MS = 10; // USER_HZ is 100 on Linux

async function cpuMs(pid: number): Promise<{ user: number; system: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) * TICK_MS, system: Number(f[12]) * TICK_MS };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-cpu-'));
  // K8TS_BENCH_NODE_ARGS: more flags for the server's node, e.g. --perf-basic-prof for `perf record -p`.
  const nodeArgs = [...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []), ...benchNodeArgs()];
  const insecurePort = as === 'insecure' ? await freePort() : undefined;
  const extra = insecurePort ? ['--insecure-port', String(insecurePort)] : [];
  const { url, child } = await spawnApiServer(repo, ['--data-dir', dir, '--port', '0', ...extra, ...(process.env.K8TS_BENCH_FLAGS ?? '').split(' ').filter(Boolean)], nodeArgs);
  try {
    const cfg = loadKubeconfig(join(dir, 'kubeconfig.yaml'));
    const adminAgent = new https.Agent({ keepAlive: true, maxSockets: 128, ca: cfg.caData, cert: cfg.certData, key: cfg.keyData });
    const sender = (agent: http.Agent, base: string) => {
      const u = new URL(base);
      const request = u.protocol === 'https:' ? https.request : http.request;
      // keep: the response body is read and handed over (else it is discarded).
      return (method: string, path: string, body: string, contentType = 'application/json', keep?: (body: string) => void): Promise<number> =>
        new Promise((resolve, reject) => {
          const req = request({ agent, host: u.hostname, port: u.port, path, method, headers: { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
            const chunks: Buffer[] = [];
            if (keep) res.on('data', (c: Buffer) => chunks.push(c));
            else res.resume();
            res.on('end', () => {
              keep?.(Buffer.concat(chunks).toString('utf8'));
              resolve(res.statusCode ?? 0);
            });
          });
          req.on('error', reject);
          req.end(body);
        });
    };
    const asAdmin = sender(adminAgent, url);
    let agent: http.Agent = adminAgent;
    let send = asAdmin;
    const pod = (name: string) =>
      JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'b', labels: { app: 'bench' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } });
    const must = async (p: Promise<number>, want: number) => {
      const s = await p;
      if (s !== want) throw new Error(`expected ${want}, got ${s}`);
    };
    await must(asAdmin('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b' } })), 201);
    await must(asAdmin('POST', '/api/v1/namespaces/b/serviceaccounts', JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } })), 201);
    if (as === 'user') {
      const ca = { caCertPem: await readFile(join(dir, 'pki', 'ca.crt'), 'utf8'), caKeyPem: await readFile(join(dir, 'pki', 'ca.key'), 'utf8') };
      const user = await issueClientCert(ca as ClusterPki, { commonName: 'bench-user', organizations: ['bench-team'] });
      agent = new https.Agent({ keepAlive: true, maxSockets: 128, ca: cfg.caData, cert: user.certPem, key: user.keyPem });
      send = sender(agent, url);
      const binding = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'bench-edit', namespace: 'b' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bench-user' }] };
      await must(asAdmin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/b/rolebindings', JSON.stringify(binding)), 201);
      // The binding reaches the authorizer through its watch.
      for (let i = 0; (await send('GET', '/api/v1/namespaces/b/pods?limit=1', '')) !== 200; i++) {
        if (i > 500) throw new Error('bench-user never allowed');
        await new Promise((r) => setTimeout(r, 10));
      }
    } else if (insecurePort) {
      agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
      send = sender(agent, `http://127.0.0.1:${insecurePort}`);
    }
    const post = (path: string, body: string): Promise<number> => send('POST', path, body);
    const LEASES = 500;
    const leaseRV = new Array<string | undefined>(LEASES).fill(undefined);
    const lease = (i: number, renew: number) =>
      JSON.stringify({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: `node-${i}`, namespace: 'b', ...(leaseRV[i] ? { resourceVersion: leaseRV[i] } : {}) }, spec: { holderIdentity: `node-${i}`, leaseDurationSeconds: 40, renewTime: new Date(Date.UTC(2026, 0, 1, 0, 0, renew)).toISOString().replace('Z', '000Z') } });
    const renewals = new Array<number>(LEASES).fill(0);
    // A renewal PUTs the Lease without a resourceVersion, so a conflict cannot refuse it; with --lease-rv it
    // names the resourceVersion of the Lease's last write, as a kubelet's renewal does (its cached Lease).
    const keepRV = leaseRv ? (n: number) => (body: string) => (leaseRV[n] = (JSON.parse(body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion) : undefined;
    // With --lease-rv a Lease's renewals go one after another (a slow one would make the next a 409), as one kubelet's do.
    const leaseTail = new Array<Promise<void>>(LEASES).fill(Promise.resolve());
    const renew = (i: number) => {
      const n = i % LEASES;
      const put = () => must(send('PUT', `/apis/coordination.k8s.io/v1/namespaces/b/leases/node-${n}`, lease(n, ++renewals[n]!), 'application/json', keepRV?.(n)), 200);
      if (!leaseRv) return put();
      return (leaseTail[n] = leaseTail[n]!.then(put));
    };
    // --first-status: every measured write is the first status write of its pod, as each pod start in a cluster
    // makes one (the kubelet has no managedFields entry on the pod yet); warm-up writes go to pods of their own.
    const PODS = firstStatus ? warmup + creates : 500;
    let statuses = 0;
    // The kubelet's status patch (status manager): the whole status, with a time that moves, so every write is one.
    const podStatus = (i: number) => {
      const n = i % PODS;
      const t = new Date(Date.UTC(2026, 0, 1, 0, 0, 0) + ++statuses * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      const conditions = ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: t }));
      const body = { status: { phase: 'Running', conditions, hostIP: '10.0.0.1', podIP: `10.1.${n >> 8}.${n & 255}`, podIPs: [{ ip: `10.1.${n >> 8}.${n & 255}` }], startTime: t, containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'busybox:1.36', imageID: 'docker-pullable://busybox@sha256:0123', containerID: `containerd://${n}`, started: true, state: { running: { startedAt: t } } }], qosClass: 'Burstable' } };
      return must(send('PATCH', `/api/v1/namespaces/b/pods/s${n}/status`, JSON.stringify(body), 'application/strategic-merge-patch+json'), 200);
    };
    const bind = (name: string) =>
      must(post(`/api/v1/namespaces/b/pods/${name}/binding`, JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: `node-${name.length % 7}` } })), 201);
    // An event as the kubelet's recorder writes one (core/v1, a container's fieldPath, no eventTime).
    const event = (name: string) => {
      const ts = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      return JSON.stringify({ apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'b' }, involvedObject: { kind: 'Pod', namespace: 'b', name: `web-${name}`, uid: '6a3c1f8e-2b7d-4c1e-9f0a-1d2e3f4a5b6c', apiVersion: 'v1', resourceVersion: '1234', fieldPath: 'spec.containers{main}' }, reason: 'Pulling', message: 'Pulling image "busybox"', source: { component: 'kubelet', host: 'hollow-node-3' }, firstTimestamp: ts, lastTimestamp: ts, count: 1, type: 'Normal', eventTime: null, reportingComponent: 'kubelet', reportingInstance: 'hollow-node-3' });
    };
    const one = op === 'status' ? (i: number) => podStatus(firstStatus ? warmup + i : i) : op === 'get' ? (i: number) => must(send('GET', `/api/v1/namespaces/b/serviceaccounts/default?i=${i}`, ''), 200) : op === 'event' ? (i: number) => must(post('/api/v1/namespaces/b/events', event(`e${i}.${i.toString(16)}`)), 201) : op === 'lease' ? renew : op === 'bind' ? async (i: number) => {
      await must(post('/api/v1/namespaces/b/pods', pod(`p${i}`)), 201);
      await bind(`p${i}`);
    } : (i: number) => must(post('/api/v1/namespaces/b/pods', pod(`p${i}`)), 201);
    if (op === 'lease') await runConcurrent(LEASES, Math.min(clients, 16), (i) => must(send('POST', '/apis/coordination.k8s.io/v1/namespaces/b/leases', lease(i, 0), 'application/json', keepRV?.(i)), 201));
    if (op === 'status') await runConcurrent(PODS, Math.min(clients, 16), async (i) => {
      await must(post('/api/v1/namespaces/b/pods', pod(`s${i}`)), 201);
      await bind(`s${i}`);
    });
    // Warm-up: JIT, TLS sessions, caches.
    await runConcurrent(warmup, clients, async (i) => {
      if (op === 'lease') return renew(i);
      if (op === 'status') return podStatus(i);
      if (op === 'get') return must(send('GET', '/api/v1/namespaces/b/serviceaccounts/default', ''), 200);
      if (op === 'event') return must(post('/api/v1/namespaces/b/events', event(`w${i}.${i.toString(16)}`)), 201);
      await must(post('/api/v1/namespaces/b/pods', pod(`w${i}`)), 201);
      if (op === 'bind') await bind(`w${i}`);
    });
    const watchAgent = new https.Agent({ keepAlive: true, maxSockets: Math.max(1, watchers), ca: cfg.caData, cert: cfg.certData, key: cfg.keyData });
    let eventBytes = 0;
    if (watchers > 0) {
      const collection = op === 'lease' ? '/apis/coordination.k8s.io/v1/namespaces/b/leases' : op === 'event' ? '/api/v1/namespaces/b/events' : '/api/v1/namespaces/b/pods';
      const rv = await new Promise<string>((resolve, reject) => {
        https.get(`${url}${collection}?limit=1`, { agent: adminAgent }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve((JSON.parse(text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion));
        }).on('error', reject);
      });
      await Promise.all(
        Array.from({ length: watchers }, () =>
          new Promise<void>((resolve, reject) => {
            https.get(`${url}${collection}?watch=1&resourceVersion=${rv}${watchSelector ? `&fieldSelector=${encodeURIComponent(watchSelector)}` : ''}`, { agent: watchAgent }, (res) => {
              if (res.statusCode !== 200) reject(new Error(`watch: ${res.statusCode}`));
              res.on('data', (d: Buffer) => (eventBytes += d.length));
              res.on('error', () => {});
              resolve();
            }).on('error', () => {});
          }),
        ),
      );
    }
    // The server's CPU for the events counts too: wait until the watchers have had them (no byte for 300 ms; 60 s at most).
    const settle = async () => {
      for (let last = -1, waited = 0; watchers > 0 && eventBytes !== last && waited < 60_000; waited += 300) {
        last = eventBytes;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    };
    const c0 = await cpuMs(child.pid!);
    const r = await runConcurrent(creates, clients, one);
    await settle();
    const c1 = await cpuMs(child.pid!);
    const s = summarize(r.latencies);
    const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
    console.log(`${op}  as ${as}  clients ${clients}${watchers > 0 ? `  watchers ${watchers}${watchSelector ? ` (${watchSelector})` : ''} (${fmt(eventBytes / 1e6, 1)} MB of events)` : ''}  ops ${creates}  server CPU/op ${fmt((c1.user + c1.system - c0.user - c0.system) / creates, 3)} ms (user ${fmt((c1.user - c0.user) / creates, 3)}, system ${fmt((c1.system - c0.system) / creates, 3)})  ops/s ${fmt(creates / r.seconds)}  p50 ${fmt(s.p50)} ms  p99 ${fmt(s.p99)} ms  load ${load}`);
    watchAgent.destroy();
    agent.destroy();
    adminAgent.destroy();
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
