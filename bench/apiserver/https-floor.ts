// The floor under every API request: a bare Node HTTPS server with the API
// server's TLS settings (cluster PKI, client certificates requested) that
// parses a Lease PUT body and answers with a stored-size Lease, measured like
// bench/apiserver/cpu.js (server CPU per request from /proc, keep-alive clients
// in another process). What the API server spends above this is its own work.
// Run: npm run build && node dist/bench/apiserver/https-floor.js [--clients 16] [--requests 20000]
import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureClusterPki, serverTlsOptions, type ClusterPki } from '../../src/pki/index.js';
import { fmt, runConcurrent } from '../lib/stats.js';
import { option as opt } from '../lib/args.js';

const LEASE = JSON.stringify({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'node-1', namespace: 'b', uid: '6c1f8a8e-1f7d-4f3c-9d1e-2b1f4d2f6a11', resourceVersion: '12345', creationTimestamp: '2026-01-01T00:00:00Z', managedFields: [{ manager: 'kubelet', operation: 'Update', apiVersion: 'coordination.k8s.io/v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:holderIdentity': {}, 'f:leaseDurationSeconds': {}, 'f:renewTime': {} } } }] },
  spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:01.000000Z' },
});

if (process.argv[2] === '--serve') {
  // The server side, in its own process.
  const pki = JSON.parse(process.argv[3]!) as ClusterPki;
  const server = https.createServer({ ...serverTlsOptions(pki), keepAlive: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(LEASE) });
      res.end(LEASE);
    });
  });
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as { port: number }).port));
} else {
  const clients = Number(opt('--clients', '16'));
  const requests = Number(opt('--requests', '20000'));
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-floor-'));
  const pki = await ensureClusterPki(dir, { hostnames: ['localhost'], ips: ['127.0.0.1'] });
  const child = fork(fileURLToPath(import.meta.url), ['--serve', JSON.stringify(pki)]);
  const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve(m as number)));
  const agent = new https.Agent({ keepAlive: true, maxSockets: clients, ca: pki.caCertPem, cert: pki.adminCertPem, key: pki.adminKeyPem });
  const body = JSON.stringify({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'node-1', namespace: 'b' }, spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:01.000000Z' } });
  const put = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = https.request({ agent, host: '127.0.0.1', port, servername: 'localhost', path: '/apis/coordination.k8s.io/v1/namespaces/b/leases/node-1', method: 'PUT', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end(body);
    });
  const cpu = async (): Promise<number> => {
    const f = await readFile(`/proc/${child.pid}/stat`, 'utf8');
    const g = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(g[11]) + Number(g[12])) * 10;
  };
  await runConcurrent(2000, clients, () => put());
  const c0 = await cpu();
  const r = await runConcurrent(requests, clients, () => put());
  const c1 = await cpu();
  const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  console.log(`https floor  clients ${clients}  requests ${requests}  server CPU/request ${fmt((c1 - c0) / requests, 3)} ms  requests/s ${fmt(requests / r.seconds)}  load ${load}`);
  agent.destroy();
  child.kill();
  await rm(dir, { recursive: true, force: true });
}
