// The pod network from the Node's podCIDR (node IPAM): without one the
// runtime says NetworkReady=false and refuses pods a network of their own;
// updatePodCIDR() builds it. And a pod IP is freed once: stopping a
// sandbox again (removePodSandbox does) never frees an address a newer
// sandbox holds.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isRoot, setupFixture, type Fixture } from './fixture.js';

const ipOf = async (fx: Fixture, id: string): Promise<string | undefined> => (await fx.runtime.podSandboxStatus(id)).ips[0];

describe('exec runtime: podCIDR from the Node', { skip: !isRoot && 'needs root' }, () => {
  let fx: Fixture | undefined;
  after(async () => {
    await fx?.cleanup();
  });

  it('waits for the podCIDR, then gives pods addresses from it; an address is freed only once', async () => {
    fx = await setupFixture('podcidr', 222, { podCIDR: undefined, awaitPodCIDR: true });
    const rt = fx.runtime;
    const network = async (): Promise<{ status: boolean; reason: string }> => (await rt.status()).conditions.find((c) => c.type === 'NetworkReady')!;
    assert.deepEqual(await network(), { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'Network plugin returns error: the node has no podCIDR yet' });
    await assert.rejects(rt.runPodSandbox(fx.sandboxConfig('early')), /network plugin is not ready: the node has no podCIDR yet/);
    await rt.updatePodCIDR('10.244.222.0/24');
    assert.equal((await network()).status, true);
    assert.equal(rt.podCIDR(), '10.244.222.0/24');

    const a = await rt.runPodSandbox(fx.sandboxConfig('a'));
    assert.equal(await ipOf(fx, a), '10.244.222.2');
    await rt.stopPodSandbox(a);
    const b = await rt.runPodSandbox(fx.sandboxConfig('b'));
    assert.equal(await ipOf(fx, b), '10.244.222.2');
    await rt.removePodSandbox(a);
    const c = await rt.runPodSandbox(fx.sandboxConfig('c'));
    assert.equal(await ipOf(fx, c), '10.244.222.3');
    // The Node's podCIDR cannot move under running pods.
    await rt.updatePodCIDR('10.244.223.0/24');
    assert.equal(rt.podCIDR(), '10.244.222.0/24');
  });
});
