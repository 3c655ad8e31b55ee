// Issue #11's pod network figures on hosts made of network namespaces (the
// multi-host test harness):
//  - pod-to-pod TCP throughput between pods on two nodes (host-gw), against
//    the same transfer between two namespaces linked by one veth pair
//    (target ≥ 0.9×), and against the two nodes' own namespaces talking over
//    the same test network (host to host: what host-gw routes pod traffic
//    over, so their ratio is the pod network's own cost): iperf3 (one stream, its default 128 KiB buffers) when
//    it is installed, else busybox dd | nc (CPU-bound: small reads), the
//    best of a few runs alternating between the paths; with iperf3 also the
//    CPU time both ends spent per GB (iperf3's own accounting, in which the
//    kernel's forwarding on the way is charged to the process it ran for),
//    a ratio the load of other work on the machine moves much less;
//  - real-host failover with the fast profile: a node agent SIGKILLed, time
//    until every replacement pod is Running elsewhere (target ≤ 10 s).
// Run as root: npm run build && npm run bench:podnet [-- --mb 1024 --seconds 5 --runs 3 --no-write]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { run, runOk } from '../../src/runtime/exec/run.js';
import { until } from '../../test/helpers/wait.js';
import { startMultiHostCluster } from '../../test/multinode/harness.js';
import { webDeployment, webProcesses } from '../../test/multinode/workload.js';
import { fmt, table, writeSection } from '../lib/stats.js';
import type { KubeObject } from '../../src/api/types.js';
import { option as opt } from '../lib/args.js';
import { iperfTransfer, type Transfer as IperfTransfer } from './iperf.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const args = process.argv.slice(2);
const MB = Number(opt('--mb', '1024'));
const SECONDS = Number(opt('--seconds', '5'));
const IPERF3 = (process.env.PATH ?? '').split(delimiter).some((d) => existsSync(join(d, 'iperf3')));
const RUNS = Number(opt('--runs', '3'));
/**
 * How the hosts are linked: `mesh` (default), a veth pair between every two hosts, as machines whose NICs share
 * a segment (the switch hardware costs a host no CPU); `switch`, only the test switch (two veths and a bridge in
 * a namespace between any two hosts, all on this machine's CPU).
 */
const NETWORK = opt('--network', 'mesh');
if (NETWORK !== 'mesh' && NETWORK !== 'switch') throw new Error('--network is mesh or switch');
const PORT = 5201;
const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };

interface PodLite extends KubeObject {
  spec?: { nodeName?: string };
  status?: { phase?: string; podIP?: string; containerStatuses?: { ready?: boolean }[] };
}

interface Enter {
  from: string[];
  to: string[];
}

/** cpuPerGB: with iperf3 only. */
type Transfer = Omit<IperfTransfer, 'cpuPerGB'> & { cpuPerGB?: number };

/** Gbit/s of one TCP stream from `from` (a netns or a pid) to `to` at `ip`. */
const throughput = async (enter: Enter, ip: string): Promise<Transfer> => (IPERF3 ? iperf(enter, ip) : { gbps: await ddNc(enter, ip) });

/** iperf3 for SECONDS: what the receiver counted, and the CPU both ends used for it. */
const iperf = (enter: Enter, ip: string): Promise<Transfer> => iperfTransfer(['nsenter', ...enter.to, '--'], ['nsenter', ...enter.from, '--'], ip, PORT, SECONDS);

/**
 * busybox dd | nc of MB megabytes, until the receiver has counted every byte. The listener's
 * stdin stays open (busybox nc ends when it reads EOF there).
 */
async function ddNc(enter: Enter, ip: string): Promise<number> {
  const sink = spawn('nsenter', [...enter.to, '--', 'sh', '-c', `busybox sleep 3600 | busybox nc -l -p ${PORT} | busybox wc -c`], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
  let counted = '';
  const received = new Promise<number>((resolve) => {
    sink.stdout!.on('data', (d: Buffer) => {
      counted += d.toString();
      if (counted.includes('\n')) resolve(Number(counted.trim()));
    });
  });
  await new Promise((r) => setTimeout(r, 500));
  const t0 = process.hrtime.bigint();
  await runOk('nsenter', [...enter.from, '--', 'sh', '-c', `busybox dd if=/dev/zero bs=65536 count=${MB * 16} 2>/dev/null | busybox nc ${ip} ${PORT}`]);
  const bytes = await received;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  try {
    process.kill(-sink.pid!, 'SIGKILL');
  } catch {
    // gone
  }
  if (bytes !== MB * 1024 * 1024) throw new Error(`the receiver counted ${bytes} bytes, not ${MB * 1024 * 1024}`);
  return (MB * 8) / 1024 / s;
}

/** The reference: two namespaces joined by one veth pair. */
async function directPair(): Promise<{ measure(): Promise<Transfer>; close(): Promise<void> }> {
  const sfx = randomBytes(3).toString('hex');
  const a = `k8bna-${sfx}`;
  const b = `k8bnb-${sfx}`;
  const close = async (): Promise<void> => {
    await run('ip', ['netns', 'del', a]);
    await run('ip', ['netns', 'del', b]);
  };
  try {
    await runOk('ip', ['netns', 'add', a]);
    await runOk('ip', ['netns', 'add', b]);
    await runOk('ip', ['-n', a, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', b]);
    for (const [ns, ip] of [[a, '10.198.77.1'], [b, '10.198.77.2']] as const) {
      await runOk('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      await runOk('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      await runOk('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { measure: () => throughput({ from: [`--net=/run/netns/${a}`], to: [`--net=/run/netns/${b}`] }, '10.198.77.2'), close };
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

/** The median of "a/b = r×" entries' ratios. */
function medianRatio(entries: string[]): string {
  const rs = entries.map((e) => Number(e.slice(e.lastIndexOf('=') + 1).replace('×', '').trim())).sort((x, y) => x - y);
  return rs.length ? fmt(rs[Math.floor(rs.length / 2)]!) : '-';
}

/** The host process id of a pod's httpd (any process of a pod shares its network namespace). */
function podPid(docroot: string, podIP: string): number {
  const p = webProcesses(docroot).find((x) => x.ip === podIP);
  if (!p) throw new Error(`no process for pod IP ${podIP}`);
  return p.pid;
}

const running = (p: PodLite): boolean => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp && !!p.status.podIP;

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
  const load0 = loadavg()[0]!;
  const pair = await directPair();

  // Pod to pod across two nodes, host-gw, plus the failover (fast profile) on three.
  const c = await startMultiHostCluster({
    hosts: 3,
    backend: 'host-gw',
    mesh: NETWORK === 'mesh',
    serverArgs: ['--node-monitor-grace-period', '4s', '--node-monitor-period', '500ms', '--default-not-ready-toleration-seconds', '0', '--default-unreachable-toleration-seconds', '0'],
    kubeletArgs: ['node-lease-duration-seconds=4', 'node-status-update-frequency=1s'],
  });
  let podGbps = 0;
  let direct = 0;
  let hostGbps = 0;
  const hostPairs: string[] = [];
  let failoverS = 0;
  const pairs: string[] = [];
  /** CPU s/GB of each run: direct pair, pod path, host to host. */
  const cpu: [number, number, number][] = [];
  try {
    const client = new RestClient(loadKubeconfig(c.kubeconfig), { component: 'bench-podnet' });
    const docroot = join(c.dir, 'www');
    await webDeployment(c, 6, docroot, { gracePeriod: 1 });
    const list = async (): Promise<PodLite[]> => (await client.list<PodLite>(PODS, 'default', { labelSelector: 'app=web' })).items;
    const live = await until('6 running pods', async () => {
      const l = (await list()).filter(running);
      return l.length === 6 && (await list()).length === 6 ? l : undefined;
    }, 300_000);
    const a = live.find((p) => p.spec!.nodeName === c.hosts[1]!.name)!;
    const b = live.find((p) => p.spec!.nodeName === c.hosts[2]!.name)!;
    console.log(`pod to pod across nodes (host-gw): ${a.metadata.name}@${a.spec!.nodeName} → ${b.metadata.name}@${b.spec!.nodeName}`);
    const pa = podPid(docroot, a.status!.podIP!);
    const pb = podPid(docroot, b.status!.podIP!);
    const ha = c.hosts[1]!;
    const hb = c.hosts[2]!;
    for (let i = 0; i < RUNS; i++) {
      // The order turns each run, so a change in the machine's load hits every path alike.
      const paths = [
        async () => pair.measure(),
        async () => throughput({ from: ['-t', String(pa), '-n'], to: ['-t', String(pb), '-n'] }, b.status!.podIP!),
        async () => throughput({ from: [`--net=/run/netns/${ha.netns}`], to: [`--net=/run/netns/${hb.netns}`] }, hb.ip),
      ];
      const got: Transfer[] = [];
      for (let k = 0; k < paths.length; k++) {
        const j = (k + i) % paths.length;
        got[j] = await paths[j]!();
      }
      const [d, p, h] = got.map((t) => t.gbps) as [number, number, number];
      const cpuNote = got.every((t) => t.cpuPerGB !== undefined) ? `; CPU s/GB ${got.map((t) => fmt(t.cpuPerGB!, 3)).join(', ')}` : '';
      if (cpuNote) cpu.push(got.map((t) => t.cpuPerGB!) as [number, number, number]);
      console.log(`  run ${i + 1}: pod to pod ${fmt(p)} Gbit/s, direct ${fmt(d)} Gbit/s, host to host ${fmt(h)} Gbit/s${cpuNote} (load ${fmt(loadavg()[0]!, 1)})`);
      pairs.push(`${fmt(p)}/${fmt(d)} = ${fmt(p / d)}×`);
      hostPairs.push(`${fmt(p)}/${fmt(h)} = ${fmt(p / h)}×`);
      direct = Math.max(direct, d);
      podGbps = Math.max(podGbps, p);
      hostGbps = Math.max(hostGbps, h);
    }
    console.log(`  ${fmt(podGbps)} Gbit/s, direct veth ${fmt(direct)} Gbit/s (${fmt(podGbps / direct)}×), host to host ${fmt(hostGbps)} Gbit/s (${fmt(podGbps / hostGbps)}×)`);

    // Failover: SIGKILL host 2's agent; from then until every replacement runs elsewhere.
    const victim = c.hosts[2]!;
    const lost = (await list()).filter((p) => p.spec?.nodeName === victim.name).map((p) => p.metadata.name);
    console.log(`failover: SIGKILL the agent of ${victim.name} (${lost.length} pods)`);
    const t0 = Date.now();
    await c.killNodeAgent(victim);
    await until('every replacement Running', async () => {
      const all = await list();
      const ok = all.filter(running).filter((p) => p.spec?.nodeName !== victim.name && !lost.includes(p.metadata.name));
      return ok.length === 6 ? true : undefined;
    }, 300_000, 50);
    failoverS = (Date.now() - t0) / 1000;
    console.log(`  every replacement Running ${fmt(failoverS)} s after the kill`);
    client.close();
  } finally {
    await c.close();
    await pair.close();
  }
  const load1 = loadavg()[0]!;
  const pathWords =
    NETWORK === 'mesh'
      ? "pod veth, host route with the host's netfilter, the hosts' link (one veth pair), host route with netfilter, pod veth: three veth pairs against one"
      : "pod veth, host route with the host's netfilter, uplink veth, the test switch (a bridge), uplink veth, host route with netfilter, pod veth: four veth pairs against one";
  const body = [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:podnet\` (as root) on hosts made of network namespaces on one machine (test/multinode/harness.ts, hosts linked by ${NETWORK === 'mesh' ? 'a veth pair between every two (--network mesh)' : 'the test switch only (--network switch)'}); load average ${fmt(load0, 1)} at the start, ${fmt(load1, 1)} at the end (the machine was shared with other runs).`,
    IPERF3
      ? `iperf3 (one TCP stream, ${SECONDS} s, its default buffers) in the sending and the receiving pod's network namespace, and in the two directly linked namespaces. On a shared 2-core machine both paths are CPU-bound (every hop is the kernel copying on a loaded core), so the ratio is the pod path's cost (${pathWords}) in CPU per byte; single runs vary by tens of percent with the load.`
      : `busybox nc copies in small reads and is CPU-bound here, so both throughputs are what one loaded core pushes through the kernel on each path, not what the links could carry: the ratio is the cost of the pod path (${pathWords}) in CPU per byte, on a shared 2-core machine where single runs vary by tens of percent.`,
    `Each run (pod path / direct pair, Gbit/s): ${pairs.join(', ')}; median ${medianRatio(pairs)}×.`,
    `Each run (pod path / host to host over the test network, Gbit/s): ${hostPairs.join(', ')}; median ${medianRatio(hostPairs)}×.`,
    ...(cpu.length
      ? [
          `CPU seconds (sender and receiver, as iperf3 counts them) per GB, each run (direct pair / pod path / host to host): ${cpu.map((r) => r.map((x) => fmt(x, 3)).join(' / ')).join(', ')}; median ratio direct ÷ pod path ${fmt(median(cpu.map((r) => r[0] / r[1])))}×, host to host ÷ pod path ${fmt(median(cpu.map((r) => r[2] / r[1])))}×.`,
        ]
      : []),
    '',
    '```',
    table([
      ['figure', 'k8ts', 'reference', 'ratio', 'target'],
      [`pod-to-pod TCP across nodes, host-gw (${IPERF3 ? `iperf3, ${SECONDS} s` : `${MB} MB, busybox dd \\| nc`}, best of ${RUNS}, alternating with the reference)`, `${fmt(podGbps)} Gbit/s`, `${fmt(direct)} Gbit/s (two namespaces, one veth pair)`, `${fmt(podGbps / direct)}×`, '≥ 0.9×'],
      ...(cpu.length ? [[`pod-to-pod TCP across nodes, CPU per GB against the direct pair (median of ${RUNS} paired runs)`, `${fmt(median(cpu.map((r) => r[1])), 3)} s/GB`, `${fmt(median(cpu.map((r) => r[0])), 3)} s/GB`, `${fmt(median(cpu.map((r) => r[0] / r[1])))}×`, '-']] : []),
      [`pod-to-pod against host-to-host over the same test network (best of ${RUNS})`, `${fmt(podGbps)} Gbit/s`, `${fmt(hostGbps)} Gbit/s (the two nodes' own namespaces)`, `${fmt(podGbps / hostGbps)}×`, '-'],
      ['failover, fast profile (grace 4 s, lease 4 s, tolerations 0 s): SIGKILL of a node agent → every replacement Running', `${fmt(failoverS)} s`, '≤ 10 s', `${fmt(failoverS / 10)}× of the target`, '≤ 10 s'],
    ]),
    '```',
  ].join('\n');
  console.log(body);
  if (!args.includes('--no-write')) await writeSection(join(repo, 'docs', 'benchmarks.md'), 'Pod network (#11)', body);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
