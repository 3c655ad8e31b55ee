// Pods on the exec runtime as root are isolated as pods should be: pause is
// PID 1, the hostname is the pod's, each pod has its own network namespace
// and IP, routed by the host without a bridge (two pods both listen on port
// 80 and reach each other by pod IP), volumes are bind mounts, limits are
// cgroups.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HOST_VETH_MAC, vethName } from '../../../src/runtime/exec/network.js';
import { isRoot, podNetworkRouted, setupFixture, type Fixture } from './fixture.js';

describe('exec runtime: pod isolation', { skip: !isRoot && 'needs root' }, () => {
  let fx: Fixture;
  const pods: Record<string, { sandbox: string; web: string; ip: string }> = {};

  before(async () => {
    fx = await setupFixture('iso', 201);
    await fx.runtime.ready;
    assert.equal(fx.runtime.isolation(), 'namespaces');
    for (const name of ['alpha', 'beta']) {
      const sb = fx.sandboxConfig(name);
      const sandbox = await fx.runtime.runPodSandbox(sb);
      const docroot = join(fx.dir, `www-${name}`);
      await mkdir(docroot, { recursive: true });
      await writeFile(join(docroot, 'index.html'), `hello from ${name}\n`);
      const web = await fx.runtime.createContainer(sandbox, fx.containerConfig('web', ['httpd', '-f', '-p', '80', '-h', docroot]), sb);
      await fx.runtime.startContainer(web);
      const status = await fx.runtime.podSandboxStatus(sandbox);
      assert.equal(status.state, 'SANDBOX_READY');
      assert.equal(status.ips.length, 1);
      pods[name] = { sandbox, web, ip: status.ips[0]! };
    }
  });

  after(async () => {
    await fx?.cleanup();
  });

  it('gives each pod its own IP from the podCIDR', () => {
    assert.match(pods.alpha!.ip, /^10\.244\.201\.\d+$/);
    assert.match(pods.beta!.ip, /^10\.244\.201\.\d+$/);
    assert.notEqual(pods.alpha!.ip, pods.beta!.ip);
  });

  it('runs pause as PID 1 and sets the pod hostname', async () => {
    const pid1 = await fx.exec(pods.alpha!.web, ['cat', '/proc/1/cmdline']);
    assert.equal(pid1.code, 0);
    assert.match(pid1.out, /pause/);
    const host = await fx.exec(pods.alpha!.web, ['hostname']);
    assert.equal(host.out.trim(), 'alpha');
    // The container's own process is not PID 1 and sees only the pod's processes.
    const ps = await fx.exec(pods.alpha!.web, ['sh', '-c', 'ls -d /proc/[0-9]* | wc -l']);
    assert.ok(Number(ps.out.trim()) < 10, `pod sees ${ps.out.trim()} processes`);
  });

  it('lets two pods listen on port 80 and reach each other by pod IP', async () => {
    const fromBeta = await fx.exec(pods.beta!.web, ['wget', '-qO-', `http://${pods.alpha!.ip}/`]);
    assert.equal(fromBeta.code, 0, fromBeta.err);
    assert.equal(fromBeta.out, 'hello from alpha\n');
    const fromAlpha = await fx.exec(pods.alpha!.web, ['wget', '-qO-', `http://${pods.beta!.ip}/`]);
    assert.equal(fromAlpha.out, 'hello from beta\n');
    const local = await fx.exec(pods.alpha!.web, ['wget', '-qO-', 'http://127.0.0.1/']);
    assert.equal(local.out, 'hello from alpha\n');
  });

  it('routes each pod by a /32 on its veth, without a bridge (Calico\'s layout)', async () => {
    const ipJson = <T>(args: string[]): T => JSON.parse(execFileSync('ip', ['-j', ...args], { encoding: 'utf8' }) || '[]') as T;
    for (const [name, pod] of Object.entries(pods)) {
      const veth = vethName(pod.sandbox);
      // The host routes the pod's address to its veth, which has no master (no bridge) and the fixed MAC.
      const routes = ipJson<{ dst: string; dev?: string }[]>(['-4', 'route', 'show', `${pod.ip}/32`]);
      assert.deepEqual(routes.map((r) => r.dev), [veth], `${name}'s /32 route`);
      const [link] = ipJson<{ address?: string; master?: string }[]>(['link', 'show', 'dev', veth]);
      assert.equal(link?.master, undefined, `${name}'s veth is on no bridge`);
      assert.equal(link?.address, HOST_VETH_MAC);
      // Only a pod with hostPorts needs loopback sources let out of its veth (and its packets to 127/8 let in).
      assert.equal(readFileSync(`/proc/sys/net/ipv4/conf/${veth}/route_localnet`, 'utf8').trim(), '0');
      // Inside the pod: a /32, and the gateway's MAC fixed, so the host needs no address on the veth.
      const addr = await fx.exec(pod.web, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
      assert.match(addr.out, new RegExp(`inet ${pod.ip.replace(/\./g, '\\.')}/32 `));
      const neigh = await fx.exec(pod.web, ['ip', 'neigh', 'show', 'dev', 'eth0']);
      assert.match(neigh.out, new RegExp(`^10\\.244\\.201\\.1 lladdr ${HOST_VETH_MAC} .*PERMANENT`, 'm'));
    }
    // The podCIDR as a whole is unreachable on the host: unused pod addresses are not sent out by the default route.
    assert.ok(podNetworkRouted(fx.network));
    const host = await fx.exec(pods.alpha!.web, ['ip', 'route', 'show', 'default']);
    assert.match(host.out, /^default via 10\.244\.201\.1 dev eth0/m);
  });

  it('bind-mounts volumes into the container only, read-only when asked', async () => {
    const vol = join(fx.dir, 'vol');
    await mkdir(vol, { recursive: true });
    await writeFile(join(vol, 'data.txt'), 'volume data\n');
    const target = `/k8ts-test-${fx.nodeName}/data`;
    const sb = fx.sandboxConfig('vols');
    const sandbox = await fx.runtime.runPodSandbox(sb);
    const cfg = fx.containerConfig('reader', ['sleep', '1000'], {
      mounts: [{ hostPath: vol, containerPath: target, readOnly: true }],
      env: [{ name: 'GREETING', value: 'hi there' }],
      workingDir: '/tmp',
    });
    const id = await fx.runtime.createContainer(sandbox, cfg, sb);
    await fx.runtime.startContainer(id);
    const read = await fx.exec(id, ['cat', `${target}/data.txt`]);
    assert.equal(read.out, "volume data\n", read.err);
    const write = await fx.exec(id, ['sh', '-c', `echo x > ${target}/new.txt`]);
    assert.notEqual(write.code, 0, 'a read-only volume must refuse writes');
    const env = await fx.exec(id, ['sh', '-c', 'echo "$GREETING" "$(pwd)"']);
    assert.equal(env.out, 'hi there /tmp\n');
    // The mount lives in the container's mount namespace, not the host's.
    assert.ok(!readFileSync('/proc/mounts', 'utf8').includes(target));
    await fx.runtime.removePodSandbox(sandbox);
    assert.ok(!existsSync(`/k8ts-test-${fx.nodeName}`), 'the mount point the runtime created is removed with the container');
  });

  it('applies memory and CPU limits through cgroups', async () => {
    const sb = fx.sandboxConfig('limited');
    const sandbox = await fx.runtime.runPodSandbox(sb);
    const id = await fx.runtime.createContainer(sandbox, fx.containerConfig('c', ['sleep', '1000'], { resources: { memoryLimitBytes: 64 * 1024 * 1024, cpuQuota: 50_000, cpuPeriod: 100_000, cpuShares: 512 } }), sb);
    await fx.runtime.startContainer(id);
    const pid = await fx.runtime.containerPid(id);
    assert.ok(pid);
    const cgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    const mem = /:memory:(.+)$/m.exec(cgroups)?.[1];
    if (mem) {
      assert.equal(readFileSync(join('/sys/fs/cgroup/memory', mem, 'memory.limit_in_bytes'), 'utf8').trim(), String(64 * 1024 * 1024));
      const cpu = /:cpu(?:,cpuacct)?:(.+)$/m.exec(cgroups)![1]!;
      assert.equal(readFileSync(join('/sys/fs/cgroup/cpu', cpu, 'cpu.cfs_quota_us'), 'utf8').trim(), '50000');
    } else {
      const unified = /^0::(.+)$/m.exec(cgroups)![1]!;
      assert.equal(readFileSync(join('/sys/fs/cgroup', unified, 'memory.max'), 'utf8').trim(), String(64 * 1024 * 1024));
    }
    await fx.runtime.removePodSandbox(sandbox);
  });
});
