// Cluster DNS figures: queries/s and latency percentiles from a loopback UDP
// client against the DNS server of `k8ts server`, fed by informers from a
// real API server with a few hundred Services. Reference: a UDP server that
// answers every query with one prepared packet (the floor of a Node UDP
// round trip on this machine), run the same way.
// Run: npm run build && node dist/bench/dns/main.js [--quick]
import dgram from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as packet from 'dns-packet';
import { openStore } from '../../src/storage/open.js';
import { startApiServer } from '../../src/apiserver/server.js';
import { RestClient } from '../../src/client/rest.js';
import { startClusterDns } from '../../src/dns/index.js';
import { fmt, summarize, table, writeSection } from '../lib/stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const quick = process.argv.includes('--quick');
const SERVICES = quick ? 50 : 500;
const QUERIES = quick ? 5_000 : 40_000;
const IN_FLIGHT = 32;

interface Question {
  name: string;
  type: 'A' | 'SRV' | 'PTR';
}

/** Sends every question with IN_FLIGHT outstanding; returns per-query latency (ms) and wall time. */
async function load(port: number, questions: Question[]): Promise<{ latencies: number[]; seconds: number; lost: number }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const latencies: number[] = [];
  const pending = new Map<number, { start: number; done: () => void }>();
  let lost = 0;
  sock.on('message', (msg) => {
    const id = msg.readUInt16BE(0);
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    latencies.push(performance.now() - p.start);
    p.done();
  });
  let next = 0;
  const t0 = performance.now();
  const worker = async (w: number): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= questions.length) return;
      const q = questions[i]!;
      const id = (w * 2048 + (i % 2048)) & 0xffff;
      const buf = packet.encode({ id, type: 'query', flags: packet.RECURSION_DESIRED, questions: [{ name: q.name, type: q.type, class: 'IN' }] });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          lost++;
          resolve();
        }, 2000);
        pending.set(id, { start: performance.now(), done: () => (clearTimeout(timer), resolve()) });
        sock.send(buf, port, '127.0.0.1');
      });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, (_, w) => worker(w)));
  const seconds = (performance.now() - t0) / 1000;
  sock.close();
  return { latencies, seconds, lost };
}

async function echoServer(): Promise<{ port: number; close(): void }> {
  const sock = dgram.createSocket('udp4');
  const canned = packet.encode({ id: 0, type: 'response', flags: packet.AUTHORITATIVE_ANSWER, questions: [{ name: 'svc-1.bench.svc.cluster.local', type: 'A', class: 'IN' }], answers: [{ type: 'A', name: 'svc-1.bench.svc.cluster.local', ttl: 5, class: 'IN', data: '10.0.0.99' }] });
  sock.on('message', (msg, r) => {
    const out = Buffer.from(canned);
    msg.copy(out, 0, 0, 2);
    sock.send(out, r.port, r.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { port: sock.address().port, close: () => sock.close() };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-dns-'));
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'state.db') });
  const api = await startApiServer({ store, port: 0, host: '127.0.0.1', serviceClusterIPRange: '10.0.0.0/16' });
  const client = new RestClient({ server: api.url, namespace: 'default' }, { component: 'bench-dns', qps: 1000, burst: 1000 });
  const SVC = { group: '', version: 'v1', resource: 'services', namespaced: true };
  const NS = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };
  await client.create(NS, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
  process.stdout.write(`creating ${SERVICES} Services `);
  const ips: string[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const s = await client.create(SVC, 'bench', { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}` }, spec: { selector: { app: `a${i}` }, ports: [{ name: 'http', port: 80 }] } });
    ips.push((s.spec as { clusterIP: string }).clusterIP);
    if (i % 100 === 0) process.stdout.write('.');
  }
  process.stdout.write('\n');
  const dns = await startClusterDns({ client, address: '127.0.0.1', port: 0, upstreams: [] });
  // The mix a ClusterFirst pod sends (ndots:5): hits, search-path misses, a few SRV and PTR.
  const questions: Question[] = Array.from({ length: QUERIES }, (_, i) => {
    const n = i % SERVICES;
    switch (i % 10) {
      case 0:
      case 1:
        return { name: `svc-${n}.bench.svc.cluster.local.bench.svc.cluster.local`, type: 'A' };
      case 2:
        return { name: `_http._tcp.svc-${n}.bench.svc.cluster.local`, type: 'SRV' };
      case 3:
        return { name: ips[n]!.split('.').reverse().join('.') + '.in-addr.arpa', type: 'PTR' };
      default:
        return { name: `svc-${n}.bench.svc.cluster.local`, type: 'A' };
    }
  });
  // Warm up both servers before measuring.
  await load(dns.port, questions.slice(0, 2000));
  const echo = await echoServer();
  await load(echo.port, questions.slice(0, 2000));
  console.log(`measuring ${QUERIES} queries, ${IN_FLIGHT} in flight`);
  const d = await load(dns.port, questions);
  const e = await load(echo.port, questions);
  const ds = summarize(d.latencies);
  const es = summarize(e.latencies);
  const dq = d.latencies.length / d.seconds;
  const eq = e.latencies.length / e.seconds;
  const rows = [
    ['server', 'queries/s', 'p50 ms', 'p99 ms', 'lost'],
    ['k8ts cluster DNS', fmt(dq, 0), fmt(ds.p50), fmt(ds.p99), String(d.lost)],
    ['canned-answer UDP server (reference)', fmt(eq, 0), fmt(es.p50), fmt(es.p99), String(e.lost)],
  ];
  const out = table(rows);
  console.log(out);
  console.log(`throughput ratio (DNS / reference): ${fmt(dq / eq)}`);
  echo.close();
  await dns.close();
  client.close();
  await api.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
  if (!quick) {
    await writeSection(
      join(repo, 'docs', 'benchmarks.md'),
      'Cluster DNS',
      `\`node dist/bench/dns/main.js\`: ${QUERIES.toLocaleString('en-US')} UDP queries from one loopback client, ${IN_FLIGHT} in flight, against the cluster DNS fed by informers from a real API server holding ${SERVICES} Services. The mix is what a ClusterFirst pod sends: 60 % Service A records, 20 % search-path misses (NXDOMAIN with SOA), 10 % SRV, 10 % PTR. The reference answers every query with one prepared packet: the floor of a Node.js UDP round trip here. Client and server share the process and the machine's 2 cores.\n\n\`\`\`\n${out}\n\`\`\`\n\nThroughput ratio to the reference: **${fmt(dq / eq)}**.`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
