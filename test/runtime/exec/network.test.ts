// The podCIDR plan and the refusal of a podCIDR that overlaps a network
// this machine already routes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { RuntimeError } from '../../../src/runtime/interface.js';
import { allocate, gateway, overlaps, parseCidr } from '../../../src/runtime/exec/cidr.js';
import { checkNoOverlap, defaultNetworkName } from '../../../src/runtime/exec/network.js';
import { containerArgv, imageBaseName } from '../../../src/runtime/exec/command.js';

describe('exec runtime network plan', () => {
  it('parses CIDRs and plans addresses: .1 gateway, pods from .2, no broadcast', () => {
    const c = parseCidr('10.244.7.0/24');
    assert.equal(gateway(c), '10.244.7.1');
    assert.equal(allocate(c, new Set()), '10.244.7.2');
    assert.equal(allocate(c, new Set(['10.244.7.2', '10.244.7.3'])), '10.244.7.4');
    const used = new Set<string>();
    for (let i = 2; i < 255; i++) used.add(`10.244.7.${i}`);
    assert.equal(allocate(c, used), undefined);
    assert.throws(() => parseCidr('10.244.300.0/24'));
  });

  it('detects overlaps', () => {
    assert.ok(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.244.0.0/24')));
    assert.ok(!overlaps(parseCidr('10.244.0.0/24'), parseCidr('10.244.1.0/24')));
  });

  it('derives a network name that fits IFNAMSIZ', () => {
    assert.ok(defaultNetworkName('a-very-long-node-name-indeed').length <= 15);
    assert.equal(defaultNetworkName('n1'), defaultNetworkName('n1'));
  });

  it('refuses a podCIDR overlapping a route of this machine', async () => {
    let routes: { dst: string }[] = [];
    try {
      routes = JSON.parse(execFileSync('ip', ['-4', '-j', 'route'], { encoding: 'utf8' })) as { dst: string }[];
    } catch {
      return;
    }
    const net = routes.find((r) => r.dst.includes('/') && Number(r.dst.split('/')[1]) >= 8);
    if (!net) return;
    await assert.rejects(checkNoOverlap(net.dst, 'k8ts-none'), (err: unknown) => err instanceof RuntimeError && err.code === 'InvalidConfig' && err.message.includes(net.dst));
  });

  it('takes the node bridge of an earlier version for its own network, and no other device\'s route', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
    const ns = `k8tsnt-${process.pid}`;
    const inNs = (args: string[]): string => execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8' });
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      // Inside a namespace of its own: the check reads the routing table of the namespace it runs in.
      inNs(['ip', 'link', 'add', 'k8tsold0', 'type', 'bridge']);
      inNs(['ip', 'addr', 'add', '10.244.9.1/24', 'dev', 'k8tsold0']);
      inNs(['ip', 'link', 'set', 'k8tsold0', 'up']);
      const check = (name: string): string => {
        const code = `import('${new URL('../../../src/runtime/exec/network.js', import.meta.url).href}').then((m) => m.checkNoOverlap('10.244.9.0/24', '${name}')).then(() => console.log('ok'), (e) => console.log(e.code))`;
        return inNs([process.execPath, '-e', code]).trim();
      };
      assert.equal(check('k8tsold0'), 'ok');
      assert.equal(check('k8tsother'), 'InvalidConfig');
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});

describe('exec runtime commands', () => {
  const cfg = (command: string[], args: string[] = [], image = 'busybox') => ({ metadata: { name: 'c', attempt: 0 }, image, command, args, env: [], mounts: [], labels: {}, annotations: {}, logPath: '' });

  it('runs busybox applets with the host busybox for busybox images', () => {
    assert.equal(imageBaseName('docker.io/library/busybox:1.36'), 'busybox');
    assert.equal(imageBaseName('registry.local:5000/team/busybox@sha256:abc'), 'busybox');
    const argv = containerArgv(cfg(['sh', '-c', 'true']));
    assert.equal(argv.slice(-3).join(' '), 'sh -c true');
    assert.deepEqual(containerArgv(cfg(['/bin/true'], [], 'debian')), ['/bin/true']);
    assert.deepEqual(containerArgv(cfg([], ['echo', 'hi'], 'debian')), ['echo', 'hi']);
  });

  it('refuses a container with nothing to run', () => {
    assert.throws(() => containerArgv(cfg([])), (err: unknown) => err instanceof RuntimeError && err.code === 'InvalidConfig');
  });
});
