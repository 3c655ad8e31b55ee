// Where the pod path's cost against the direct veth pair goes (issue #11's
// pod-to-pod figure): the same route as host-gw gives it (pod veth, host,
// the hosts' link, host, pod veth: four network namespaces and three veth
// pairs), with each host's netfilter set up in steps, against two
// namespaces joined by one veth pair:
//  - bare: forwarding only, no netfilter hook registered;
//  - conntrack: one filter rule matching on connection state (what loads
//    connection tracking into the namespace, as kube-proxy's KUBE-FORWARD);
//  - conntrack + NAT: also a NAT table rule (kube-proxy's Service DNAT and
//    masquerade need one; the NAT hooks then see every packet);
//  - node rules: the FORWARD and NAT chains a k8ts node has (kube-proxy's
//    iptables mode with one Service, the pod network's accept chain).
// iperf3 (one TCP stream), alternating the variants run by run; the figure
// is CPU seconds per GB over both ends (iperf3's accounting, in which the
// kernel's forwarding is charged to the process it ran for), which the
// load of other work moves much less than throughput.
// Run as root: npm run build && node dist/bench/join-net/netfilter.js [--runs 5] [--seconds 4]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { run, runOk } from '../../src/runtime/exec/run.js';
import { option as opt } from '../lib/args.js';
import { fmt, table } from '../lib/stats.js';
import { iperfTransfer, type Transfer } from './iperf.js';

const RUNS = Number(opt('--runs', '5'));
const SECONDS = Number(opt('--seconds', '4'));
const PORT = 5203;

const iperf = (from: string, to: string, ip: string): Promise<Transfer> => iperfTransfer(['ip', 'netns', 'exec', to], ['ip', 'netns', 'exec', from], ip, PORT, SECONDS);

const ipIn = (ns: string, argv: string[]): Promise<string> => runOk('ip', ['-n', ns, ...argv]);
const inNs = (ns: string, cmd: string, argv: string[], input?: string): Promise<string> => runOk('ip', ['netns', 'exec', ns, cmd, ...argv], input !== undefined ? { input } : {});

/** What each step writes into a host's namespace with iptables-restore (cumulative is not assumed: each is whole). */
function rules(variant: string, localPods: string): string {
  const ct = '-A FORWARD -m conntrack --ctstate INVALID -j DROP';
  const nat = ['*nat', ':KUBE-POSTROUTING - [0:0]', '-A POSTROUTING -j KUBE-POSTROUTING', '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN', '-A KUBE-POSTROUTING -j MASQUERADE --random-fully', 'COMMIT'];
  switch (variant) {
    case 'conntrack':
      return ['*filter', ct, 'COMMIT', ''].join('\n');
    case 'conntrack + NAT':
      return ['*filter', ct, 'COMMIT', ...nat, ''].join('\n');
    case 'node rules':
      // As `iptables-save` shows a k8ts host-gw node with kube-proxy's iptables mode and the kubernetes Service.
      return [
        '*filter',
        ':KUBE-PROXY-FIREWALL - [0:0]',
        ':KUBE-FORWARD - [0:0]',
        ':KUBE-SERVICES - [0:0]',
        ':KUBE-EXTERNAL-SERVICES - [0:0]',
        ':KUBE-NODEPORTS - [0:0]',
        ':K8TS-FWD-BENCH - [0:0]',
        '-A INPUT -m conntrack --ctstate NEW -j KUBE-PROXY-FIREWALL',
        '-A INPUT -j KUBE-NODEPORTS',
        '-A INPUT -m conntrack --ctstate NEW -j KUBE-EXTERNAL-SERVICES',
        `-A FORWARD -s ${localPods} -d ${localPods} -j ACCEPT`,
        '-A FORWARD -m conntrack --ctstate NEW -j KUBE-PROXY-FIREWALL',
        '-A FORWARD -j KUBE-FORWARD',
        '-A FORWARD -m conntrack --ctstate NEW -j KUBE-SERVICES',
        '-A FORWARD -m conntrack --ctstate NEW -j KUBE-EXTERNAL-SERVICES',
        '-A FORWARD -j K8TS-FWD-BENCH',
        '-A OUTPUT -m conntrack --ctstate NEW -j KUBE-PROXY-FIREWALL',
        '-A OUTPUT -m conntrack --ctstate NEW -j KUBE-SERVICES',
        '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
        '-A KUBE-FORWARD -m mark --mark 0x4000/0x4000 -j ACCEPT',
        '-A KUBE-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '-A K8TS-FWD-BENCH -s 10.77.0.0/16 -j ACCEPT',
        '-A K8TS-FWD-BENCH -d 10.77.0.0/16 -j ACCEPT',
        'COMMIT',
        '*nat',
        ':KUBE-SERVICES - [0:0]',
        ':KUBE-NODEPORTS - [0:0]',
        ':KUBE-POSTROUTING - [0:0]',
        ':KUBE-MARK-MASQ - [0:0]',
        ':KUBE-SVC-BENCH - [0:0]',
        ':KUBE-SEP-BENCH - [0:0]',
        '-A PREROUTING -j KUBE-SERVICES',
        '-A OUTPUT -j KUBE-SERVICES',
        '-A POSTROUTING -j KUBE-POSTROUTING',
        '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
        '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
        '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
        '-A KUBE-POSTROUTING -j MASQUERADE --random-fully',
        '-A KUBE-SERVICES -d 10.0.0.1/32 -p tcp -m tcp --dport 443 -j KUBE-SVC-BENCH',
        '-A KUBE-SERVICES ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
        '-A KUBE-SVC-BENCH -j KUBE-SEP-BENCH',
        '-A KUBE-SEP-BENCH -s 10.77.9.1/32 -j KUBE-MARK-MASQ',
        '-A KUBE-SEP-BENCH -p tcp -m tcp -j DNAT --to-destination 10.77.9.1:6443',
        'COMMIT',
        '',
      ].join('\n');
    default:
      return '';
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
  const sfx = randomBytes(3).toString('hex');
  const ns = { pa: `k8nfpa-${sfx}`, ha: `k8nfha-${sfx}`, hb: `k8nfhb-${sfx}`, pb: `k8nfpb-${sfx}`, da: `k8nfda-${sfx}`, db: `k8nfdb-${sfx}` };
  const made: string[] = [];
  // A run given up by hand (SIGINT, SIGTERM) takes its namespaces along too.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const n of made) execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
      process.exit(130);
    });
  }
  try {
    for (const n of Object.values(ns)) {
      await runOk('ip', ['netns', 'add', n]);
      made.push(n);
      await ipIn(n, ['link', 'set', 'lo', 'up']);
    }
    // pod a — host a — host b — pod b, addressed as host-gw would route them.
    await ipIn(ns.pa, ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'pod', 'netns', ns.ha]);
    await ipIn(ns.ha, ['link', 'add', 'link0', 'type', 'veth', 'peer', 'name', 'link0', 'netns', ns.hb]);
    await ipIn(ns.hb, ['link', 'add', 'pod', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.pb]);
    const addr: [string, string, string][] = [
      [ns.pa, 'eth0', '10.77.1.2/24'],
      [ns.ha, 'pod', '10.77.1.1/24'],
      [ns.ha, 'link0', '10.77.9.1/24'],
      [ns.hb, 'link0', '10.77.9.2/24'],
      [ns.hb, 'pod', '10.77.2.1/24'],
      [ns.pb, 'eth0', '10.77.2.2/24'],
    ];
    for (const [n, dev, a] of addr) {
      await ipIn(n, ['addr', 'add', a, 'dev', dev]);
      await ipIn(n, ['link', 'set', dev, 'up']);
    }
    await ipIn(ns.pa, ['route', 'add', 'default', 'via', '10.77.1.1']);
    await ipIn(ns.pb, ['route', 'add', 'default', 'via', '10.77.2.1']);
    await ipIn(ns.ha, ['route', 'add', '10.77.2.0/24', 'via', '10.77.9.2']);
    await ipIn(ns.hb, ['route', 'add', '10.77.1.0/24', 'via', '10.77.9.1']);
    for (const h of [ns.ha, ns.hb]) await inNs(h, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    // The reference: one veth pair.
    await ipIn(ns.da, ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.db]);
    for (const [n, a] of [[ns.da, '10.78.0.1/24'], [ns.db, '10.78.0.2/24']] as const) {
      await ipIn(n, ['addr', 'add', a, 'dev', 'eth0']);
      await ipIn(n, ['link', 'set', 'eth0', 'up']);
    }

    const variants = ['bare', 'conntrack', 'conntrack + NAT', 'node rules'];
    const setVariant = async (v: string): Promise<void> => {
      for (const [h, local] of [[ns.ha, '10.77.1.0/24'], [ns.hb, '10.77.2.0/24']] as const) {
        // A namespace's netfilter hooks stay registered while any table exists: flush the whole ruleset.
        await inNs(h, 'nft', ['flush', 'ruleset']);
        const text = rules(v, local);
        if (text) await inNs(h, 'iptables-restore', [], text);
      }
    };
    const cpu = new Map<string, number[]>(variants.map((v) => [v, []]));
    const gbps = new Map<string, number[]>(variants.map((v) => [v, []]));
    const direct: Transfer[] = [];
    const load0 = loadavg()[0]!;
    for (let i = 0; i < RUNS; i++) {
      const order = [...variants.slice(i % variants.length), ...variants.slice(0, i % variants.length)];
      const d = await iperf(ns.da, ns.db, '10.78.0.2');
      direct.push(d);
      const line = [`run ${i + 1}: direct ${fmt(d.gbps)} Gbit/s ${fmt(d.cpuPerGB, 3)} s/GB`];
      for (const v of order) {
        await setVariant(v);
        const t = await iperf(ns.pa, ns.pb, '10.77.2.2');
        cpu.get(v)!.push(t.cpuPerGB / d.cpuPerGB);
        gbps.get(v)!.push(t.gbps / d.gbps);
        line.push(`${v} ${fmt(t.gbps)} Gbit/s ${fmt(t.cpuPerGB, 3)} s/GB`);
      }
      console.log(`${line.join('; ')} (load ${fmt(loadavg()[0]!, 1)})`);
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(`\nPod path (4 namespaces, 3 veth pairs, host-gw routes) against one veth pair, ${RUNS} alternating runs of iperf3 (${SECONDS} s), load ${fmt(load0, 1)} → ${fmt(loadavg()[0]!, 1)}:\n`);
    console.log(
      table([
        ['hosts\' netfilter', 'direct ÷ pod path, CPU per GB (median)', 'pod path ÷ direct, Gbit/s (median)', 'each run (CPU ratio)'],
        ...variants.map((v) => [v, `${fmt(1 / median(cpu.get(v)!))}×`, `${fmt(median(gbps.get(v)!))}×`, cpu.get(v)!.map((x) => fmt(1 / x)).join(', ')]),
      ]),
    );
  } finally {
    for (const n of made) await run('ip', ['netns', 'del', n]);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
