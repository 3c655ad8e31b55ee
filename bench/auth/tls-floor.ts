// What TLS alone adds to a request's latency in Node, with nothing of k8ts on
// either side: two bare Node servers on a worker thread (as bench/auth runs the
// API servers), one plain HTTP, one HTTPS with the API server's TLS settings
// (cluster PKI, client certificates requested and verified), each reading a
// ConfigMap-sized JSON body and answering a ConfigMap-sized JSON; keep-alive
// clients in the main thread take turns between the two request by request
// (1 client) or every 200 requests (16 clients). The difference is the floor
// under issue #10's "secure create ÷ insecure create" ratio: a create with
// TLS cannot cost less over plain HTTP than this.
// Run: npm run build && node dist/bench/auth/tls-floor.js [--requests 6000]
import http from 'node:http';
import https from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ensureClusterPki, serverTlsOptions, issueClientCert, type ClusterPki } from '../../src/pki/index.js';
import { fmt, runConcurrent, summarize, table } from '../lib/stats.js';
import { option as opt } from '../lib/args.js';

const configMap = (name: string): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'bench', uid: '6c1f8a8e-1f7d-4f3c-9d1e-2b1f4d2f6a11', resourceVersion: '12345', creationTimestamp: '2026-01-01T00:00:00Z', labels: { app: 'bench' } }, data: { key: 'value'.repeat(20) } });

if (!isMainThread) {
  const pki = workerData as ClusterPki;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const o = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { metadata: { name: string } };
      const out = configMap(o.metadata.name);
      res.writeHead(201, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(out) });
      res.end(out);
    });
  };
  const plain = http.createServer({ keepAlive: true }, handler);
  const secure = https.createServer({ ...serverTlsOptions(pki), keepAlive: true }, handler);
  const listen = (s: http.Server): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as { port: number }).port)));
  const ports = { plain: await listen(plain), secure: await listen(secure) };
  parentPort!.postMessage(ports);
  parentPort!.once('message', () => {
    plain.closeAllConnections();
    secure.closeAllConnections();
    plain.close();
    secure.close();
    parentPort!.close();
  });
} else {
  const requests = Number(opt('--requests', '6000'));
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-tls-floor-'));
  const pki = await ensureClusterPki(dir, { hostnames: ['localhost'], ips: ['127.0.0.1'] });
  const user = await issueClientCert(pki, { commonName: 'bench-user', organizations: ['bench-team'] });
  const worker = new Worker(new URL(import.meta.url), { workerData: pki });
  const ports = await new Promise<{ plain: number; secure: number }>((r) => worker.once('message', r));
  const load0 = loadavg()[0]!;
  const rows: string[][] = [['clients', 'server', 'requests/s', 'p50 ms', 'p99 ms', 'p50 ÷ plain', 'p99 ÷ plain', 'p50 added ms', 'p99 added ms']];
  let serial = 0;
  for (const clients of [1, 16]) {
    const plainAgent = new http.Agent({ keepAlive: true, maxSockets: clients });
    const tlsAgent = new https.Agent({ keepAlive: true, maxSockets: clients, ca: pki.caCertPem, cert: user.certPem, key: user.keyPem, servername: 'localhost' });
    const send = (secure: boolean): Promise<void> =>
      new Promise((resolve, reject) => {
        const body = configMap(`c-${serial++}`);
        const o = { host: '127.0.0.1', port: secure ? ports.secure : ports.plain, path: '/api/v1/namespaces/bench/configmaps', method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } };
        const req = secure ? https.request({ ...o, agent: tlsAgent }, done) : http.request({ ...o, agent: plainAgent }, done);
        function done(res: http.IncomingMessage): void {
          res.resume();
          res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
        }
        req.on('error', reject);
        req.end(body);
      });
    const lat = { plain: [] as number[], secure: [] as number[] };
    const secs = { plain: 0, secure: 0 };
    for (const s of [false, true]) await runConcurrent(500, clients, () => send(s));
    const size = clients === 1 ? 1 : 200;
    for (let round = 0; round * size < requests; round++) {
      for (const s of round % 2 === 0 ? [false, true] : [true, false]) {
        const r = await runConcurrent(size, clients, () => send(s));
        lat[s ? 'secure' : 'plain'].push(...r.latencies);
        secs[s ? 'secure' : 'plain'] += r.seconds;
      }
    }
    const base = summarize(lat.plain);
    for (const k of ['plain', 'secure'] as const) {
      const sm = summarize(lat[k]);
      rows.push([String(clients), k === 'plain' ? 'HTTP' : 'HTTPS + client certificate', fmt(lat[k].length / secs[k], 0), fmt(sm.p50, 3), fmt(sm.p99, 3), `${fmt(sm.p50 / base.p50)}×`, `${fmt(sm.p99 / base.p99)}×`, fmt(sm.p50 - base.p50, 3), fmt(sm.p99 - base.p99, 3)]);
    }
    plainAgent.destroy();
    tlsAgent.destroy();
  }
  worker.postMessage('close');
  await new Promise((r) => worker.once('exit', r));
  await rm(dir, { recursive: true, force: true });
  console.log(`Bare Node servers on a worker thread, ${requests} POSTs of a ConfigMap-sized body per row, answered with a ConfigMap-sized body; load average ${fmt(load0, 1)} → ${fmt(loadavg()[0]!, 1)}.`);
  console.log(table(rows));
}
