import { spawn, type ChildProcess } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostExec } from '../../src/proxy/exec.js';
import { ProxyState } from '../../src/proxy/state.js';
import { IptablesProxier } from '../../src/proxy/iptables/proxier.js';
import { UserspaceProxier, loopbackFor } from '../../src/proxy/userspace/proxier.js';
import { ensureSysctls } from '../../src/proxy/sysctl.js';
import { logger } from '../../src/util/log.js';
import type { EndpointSlice, Service } from '../../src/proxy/types.js';
import { Topology } from '../../test/proxy/netns.js';

// Requests/s and p99 through a Service against straight to its endpoint.

const here = dirname(fileURLToPath(import.meta.url));

export interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

export interface TrafficFigures {
  seconds: number;
  concurrency: number;
  rounds: number;
  /** One entry per round, direct and proxied measured back to back. */
  iptablesDirect: Run[];
  iptablesClusterIP: Run[];
  userspaceDirect: Run[];
  userspace: Run[];
}

function load(prefix: string[], url: string, seconds: number, concurrency: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const argv = [...prefix, process.execPath, join(here, 'load.js'), url, String(seconds), String(concurrency)];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Run) : reject(new Error(`load generator exited ${code}`))));
  });
}

function server(prefix: string[], host: string, port: number): Promise<ChildProcess> {
  const argv = [...prefix, process.execPath, join(here, 'server.js'), host, String(port)];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
}

function objects(name: string, clusterIP: string, port: number, ip: string, targetPort: number): { svc: Service; slice: EndpointSlice } {
  return {
    svc: { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'bench' }, spec: { clusterIP, ports: [{ name: 'http', port }] } },
    slice: {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-1`, namespace: 'bench', labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [ip], conditions: { ready: true }, nodeName: 'node-1' }],
      ports: [{ name: 'http', port: targetPort, protocol: 'TCP' }],
    },
  };
}

export async function measureTraffic(o: { seconds: number; concurrency: number; rounds: number }): Promise<TrafficFigures> {
  const log = logger('bench-proxy');
  const topo = new Topology();
  const procs: ChildProcess[] = [];
  let us: UserspaceProxier | undefined;
  try {
    await topo.create();
    const pod = await topo.addPod('server');
    const client = await topo.addPod('client');
    // A second client for the ClusterIP runs: the same client alternating between pod IP and ClusterIP would reuse
    // source ports whose direct-path conntrack entries (TIME_WAIT) clash with the DNAT's reply tuple, and the
    // kernel drops such SYNs (1 s retransmits): a property of the benchmark, not of the proxy.
    const client2 = await topo.addPod('client2');
    procs.push(await server(['ip', 'netns', 'exec', pod.ns], '0.0.0.0', 8080));
    const state = new ProxyState('node-1');
    const { svc, slice } = objects('web', '10.0.0.50', 80, pod.ip, 8080);
    state.setService(svc, 'bench/web');
    state.setSlice(slice, false);
    const exec = hostExec(topo.node);
    await ensureSysctls(exec, log);
    await new IptablesProxier({ exec, state, log, clusterCIDR: '10.250.0.0/16' }).sync();
    const ns = ['ip', 'netns', 'exec', client.ns];
    const ns2 = ['ip', 'netns', 'exec', client2.ns];
    const direct: Run[] = [];
    const vip: Run[] = [];
    for (let r = 0; r < o.rounds; r++) {
      process.stdout.write(`traffic: iptables round ${r + 1}/${o.rounds}\n`);
      direct.push(await load(ns, `http://${pod.ip}:8080/`, o.seconds, o.concurrency));
      vip.push(await load(ns2, 'http://10.0.0.50/', o.seconds, o.concurrency));
    }

    procs.push(await server([], '127.0.10.50', 18080));
    const ustate = new ProxyState('node-1');
    const u = objects('loop', '10.0.0.51', 18081, '127.0.10.50', 18080);
    ustate.setService(u.svc, 'bench/loop');
    ustate.setSlice(u.slice, false);
    us = new UserspaceProxier({ state: ustate, log });
    await us.sync();
    const udirect: Run[] = [];
    const uproxied: Run[] = [];
    for (let r = 0; r < o.rounds; r++) {
      process.stdout.write(`traffic: userspace round ${r + 1}/${o.rounds}\n`);
      udirect.push(await load([], 'http://127.0.10.50:18080/', o.seconds, o.concurrency));
      uproxied.push(await load([], `http://${loopbackFor('10.0.0.51')}:18081/`, o.seconds, o.concurrency));
    }
    return { ...o, iptablesDirect: direct, iptablesClusterIP: vip, userspaceDirect: udirect, userspace: uproxied };
  } finally {
    us?.stop();
    for (const p of procs) p.kill('SIGTERM');
    await topo.destroy();
  }
}
