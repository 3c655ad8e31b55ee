import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcCgroup, statValue, workingSet } from '../../src/kubelet/stats/cgroup.js';
import { parseMeminfo, parsePidStat, parseProcStatCpu } from '../../src/kubelet/stats/proc.js';
import { SyntheticStatsProvider, syntheticRates } from '../../src/kubelet/stats/synthetic.js';
import { renderPrometheus, resourceMetrics } from '../../src/kubelet/server/stats.js';
import { parseSamples } from '../../src/apiserver/metrics/prometheus.js';
import { decodeScrape } from '../../src/apiserver/metrics/scrape.js';
import { podUsage, rate } from '../../src/apiserver/metrics/rates.js';
import { goDuration, usageQuantities } from '../../src/apiserver/metrics/handler.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import type { Pod } from '../../src/kubelet/api-types.js';

test('/proc/PID/cgroup: v1 controllers (cgroupfs Docker) and the v2 unified line', () => {
  const v1 = '12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n1:name=systemd:/docker/abc\n0::/\n';
  const p = parseProcCgroup(v1, 'v1', '/nonexistent');
  // No cpuacct hierarchy under the fake root: nothing to read.
  assert.equal(p, undefined);
  const real = parseProcCgroup('2:cpuacct:/docker/abc\n4:memory:/docker/abc\n', 'v1');
  if (real) {
    assert.equal(real.memory, '/sys/fs/cgroup/memory/docker/abc');
    assert.match(real.cpu, /\/sys\/fs\/cgroup\/(cpuacct|cpu,cpuacct)\/docker\/abc$/);
  }
  const v2 = parseProcCgroup('0::/system.slice/docker-abc.scope\n', 'v2', '/sys/fs/cgroup');
  assert.deepEqual(v2, { version: 'v2', cpu: '/sys/fs/cgroup/system.slice/docker-abc.scope', memory: '/sys/fs/cgroup/system.slice/docker-abc.scope', key: '/system.slice/docker-abc.scope' });
});

test('working set is usage minus inactive file pages, as upstream', () => {
  const stat = 'cache 100\nrss 5\ninactive_file 40\ntotal_inactive_file 60\n';
  assert.equal(statValue(stat, 'total_inactive_file'), 60);
  assert.equal(statValue(stat, 'inactive_file'), 40);
  assert.equal(workingSet(1000, 60), 940);
  assert.equal(workingSet(10, 60), 0);
});

test('/proc figures: busy CPU from /proc/stat, working set from /proc/meminfo, a process from /proc/PID/stat', () => {
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  assert.equal(parseProcStatCpu('cpu  100 10 50 9999 77 5 5 30 0 0\ncpu0 1 2 3\n'), 200 * 1e7);
  const mem = parseMeminfo('MemTotal:       1000 kB\nMemFree:         200 kB\nInactive(file):  300 kB\n');
  assert.deepEqual(mem, { usage: 800 * 1024, workingSet: 500 * 1024 });
  const s = parsePidStat('42 (my (odd) cmd) S 1 42 42 0 -1 4194560 1 0 0 0 150 50 0 0 20 0 1 0 100 1000 25 18446744073709551615');
  assert.deepEqual(s, { pgrp: 42, cpuNanos: 200 * 1e7, rssBytes: 25 * 4096 });
});

function hollowPod(uid: string, cpu: string, memory: string): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${uid}`, namespace: 'ns', uid }, spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu, memory } } }] } } as Pod;
}

test('hollow nodes: figures follow the requests and counters grow at exactly the reported rate', async () => {
  const runtime = new FakeRuntime();
  const pods = [hollowPod('u1', '200m', '100Mi'), hollowPod('u2', '1', '1Gi')];
  await runtime.pullImage('x');
  for (const p of pods) {
    const sb = await runtime.runPodSandbox({ metadata: { name: p.metadata.name!, namespace: 'ns', uid: p.metadata.uid!, attempt: 0 }, hostname: 'h', hostNetwork: false, portMappings: [], labels: { 'io.kubernetes.pod.uid': p.metadata.uid! }, annotations: {}, podDir: '/tmp' });
    const sc = { metadata: { name: p.metadata.name!, namespace: 'ns', uid: p.metadata.uid!, attempt: 0 }, hostname: 'h', hostNetwork: false, portMappings: [], labels: {}, annotations: {}, podDir: '/tmp' };
    const id = await runtime.createContainer(sb, { metadata: { name: 'c', attempt: 0 }, image: 'x', command: [], args: [], env: [], mounts: [], labels: { 'io.kubernetes.pod.uid': p.metadata.uid!, 'io.kubernetes.container.name': 'c' }, annotations: {}, logPath: '/dev/null' }, sc);
    await runtime.startContainer(id);
  }
  let now = Date.now() + 10_000;
  const provider = new SyntheticStatsProvider({ nodeName: 'n', runtime, pods: () => pods, now: () => now });
  const a = await provider.snapshot();
  now += 10_000;
  const b = await provider.snapshot();
  for (const p of pods) {
    const r = syntheticRates(p, 'c');
    const ca = a.pods.find((x) => x.uid === p.metadata.uid)!.containers[0]!;
    const cb = b.pods.find((x) => x.uid === p.metadata.uid)!.containers[0]!;
    // Rate = Δcpu / Δt, in millicores.
    assert.ok(Math.abs((cb.cpuNanos - ca.cpuNanos) / 10_000 / 1000 - r.cpuMilli) < 0.01);
    assert.equal(cb.memoryWorkingSetBytes, r.memoryBytes);
  }
  const [r1, r2] = pods.map((p) => syntheticRates(p, 'c'));
  assert.ok(r1!.cpuMilli >= 40 && r1!.cpuMilli <= 160, 'between 20 % and 80 % of 200m');
  // The node's counter grows by its pods' load plus the base load.
  const nodeRate = (b.node.cpuNanos - a.node.cpuNanos) / 10_000 / 1000;
  assert.ok(Math.abs(nodeRate - (r1!.cpuMilli + r2!.cpuMilli + 50)) < 0.01, `node rate ${nodeRate}`);
  assert.ok(b.node.memoryWorkingSetBytes > r1!.memoryBytes + r2!.memoryBytes);
  await runtime.close();
});

test('Prometheus text round trip: what the kubelet renders, the API server reads back', () => {
  const text = renderPrometheus(resourceMetrics({
    nodeName: 'n',
    node: { cpuNanos: 5e9, memoryWorkingSetBytes: 1000, memoryUsageBytes: 2000, timestampMs: 2000, startMs: 1 },
    pods: [{ namespace: 'ns', name: 'p"q', uid: 'u', startMs: 500, containers: [{ name: 'c', cpuNanos: 1.5e9, memoryWorkingSetBytes: 300, memoryUsageBytes: 300, timestampMs: 2000, startMs: 500 }], total: { cpuNanos: 1.5e9, memoryWorkingSetBytes: 300, memoryUsageBytes: 300, timestampMs: 2000 } }],
    errors: 0,
  }));
  assert.match(text, /^# HELP container_cpu_usage_seconds_total \[STABLE\] Cumulative cpu time consumed by the container in core-seconds$/m);
  assert.match(text, /^container_cpu_usage_seconds_total\{container="c",namespace="ns",pod="p\\"q"\} 1.5 2000$/m);
  const samples = parseSamples(text, new Set(['container_cpu_usage_seconds_total']));
  assert.deepEqual(samples, [{ name: 'container_cpu_usage_seconds_total', labels: { container: 'c', namespace: 'ns', pod: 'p"q' }, value: 1.5, timestampMs: 2000 }]);
  const scrape = decodeScrape(text, 2100);
  assert.deepEqual(scrape.node, { cpu: 5, memory: 1000, ts: 2000 });
  assert.deepEqual(scrape.pods.get('ns/p"q')!.get('c'), { cpu: 1.5, memory: 300, ts: 2000, start: 500 });
});

test('rates: two points give nanocores; a restart or a fresh container is measured from its start', () => {
  assert.deepEqual(rate({ cpu: 3, memory: 10, ts: 12_000, start: 0 }, { cpu: 1, memory: 5, ts: 2_000, start: 0 }), { cpu: 200_000_000, memory: 10, ts: 12_000, windowMs: 10_000 });
  // Restarted (new start time): from its start, counter from 0.
  assert.deepEqual(rate({ cpu: 1, memory: 1, ts: 12_000, start: 10_000 }, { cpu: 50, memory: 1, ts: 2_000, start: 0 }), { cpu: 500_000_000, memory: 1, ts: 12_000, windowMs: 2_000 });
  // New since the previous scrape.
  assert.equal(rate({ cpu: 1, memory: 1, ts: 12_000, start: 10_000 }, undefined, 5_000)?.cpu, 500_000_000);
  // No previous scrape at all: no rate yet.
  assert.equal(rate({ cpu: 1, memory: 1, ts: 12_000, start: 0 }, undefined, undefined), undefined);
  // One container without a rate leaves the pod out.
  const last = new Map([['a', { cpu: 2, memory: 1, ts: 2000, start: 0 }], ['b', { cpu: 2, memory: 1, ts: 2000, start: 0 }]]);
  assert.equal(podUsage(last, new Map([['a', { cpu: 1, memory: 1, ts: 1000, start: 0 }]]), 500), undefined);
});

test('metrics-server shapes: CPU in nanocores, memory BinarySI, window as a Go duration', () => {
  assert.deepEqual(usageQuantities({ cpu: 123456789, memory: 50 * 1048576 }), { cpu: '123456789n', memory: '50Mi' });
  assert.deepEqual(usageQuantities({ cpu: 5_000_000, memory: 1000 }), { cpu: '5m', memory: '1k' });
  assert.equal(goDuration(15_000), '15s');
  assert.equal(goDuration(15_012), '15.012s');
});
