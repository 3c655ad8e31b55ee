import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { NftSession, NftSessionError } from '../../src/proxy/nftables/session.js';
import { NftablesProxier } from '../../src/proxy/nftables/proxier.js';
import { ProxyState } from '../../src/proxy/state.js';
import type { Exec } from '../../src/proxy/exec.js';
import { logger } from '../../src/util/log.js';
import type { EndpointSlice, Service } from '../../src/proxy/types.js';

// The nft -i session's protocol without a kernel: a stand-in for `nft -i`
// (a node script) answers `describe meta mark` as nft does, refuses lines
// holding "refuse" with nft's error text and exits on "die". The e2e suites
// run the real nft -i.

const FAKE = `
const rl = require('node:readline').createInterface({ input: process.stdin });
rl.on('line', (l) => {
  if (l === 'describe meta mark') return void process.stdout.write('meta expression, datatype mark (packet mark) (basetype integer), 32 bits\\n');
  if (l.includes('die')) process.exit(3);
  if (l.includes('refuse')) return void process.stdout.write('Error: Could not process rule: No such file or directory\\n' + l + '\\n^^^^\\n');
  process.stdout.write('got ' + l + '\\n');
});
`;
const fake = () => spawn(process.execPath, ['-e', FAKE], { stdio: ['pipe', 'pipe', 'pipe'] });

describe('nft -i session', () => {
  it('sends a transaction as one line, tells a refusal from a dead process, and reaps its process on close', async () => {
    const s = new NftSession(fake);
    assert.equal(await s.run('add a\n\nadd b\n'), 'got add a; add b');
    const pid = s.pid;
    // Refused: an error for this transaction, the same process for the next.
    await assert.rejects(s.run('refuse this'), (e: unknown) => e instanceof NftSessionError && e.refused && /Could not process rule/.test(e.message));
    assert.equal(await s.run('add c'), 'got add c');
    assert.equal(s.pid, pid);
    // The process died: an error, and a new process for the next transaction.
    await assert.rejects(s.run('die'), (e: unknown) => e instanceof NftSessionError && !e.refused);
    assert.equal(s.pid, undefined);
    assert.equal(await s.run('add d'), 'got add d');
    const second = s.pid!;
    assert.notEqual(second, pid);
    await s.close();
    assert.equal(s.pid, undefined);
    assert.throws(() => process.kill(second, 0));
  });

  it('a partial sync nft -i refuses is written at once as a full sync by nft -f', async () => {
    const inputs: string[] = [];
    const exec: Exec = {
      run: (_cmd, _args, input) => {
        inputs.push(input ?? '');
        return Promise.resolve({ code: 0, stdout: '', stderr: '' });
      },
      // Refuses every transaction that deletes an element.
      start: () => spawn(process.execPath, ['-e', FAKE.replace("l.includes('refuse')", "l.includes('delete element')")], { stdio: ['pipe', 'pipe', 'pipe'] }),
    };
    const state = new ProxyState('n1');
    const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' }, spec: { clusterIP: '10.0.0.1', ports: [{ name: 'http', port: 80 }] } };
    const slice = (ip: string): EndpointSlice => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 's-x', namespace: 'default', labels: { 'kubernetes.io/service-name': 's' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [ip], conditions: { ready: true } }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    const p = new NftablesProxier({ exec, state, log: logger('test-nft-session'), clusterCIDR: '10.244.0.0/16' });
    try {
      state.setService(svc, 'default/s');
      state.setSlice(slice('10.244.0.1'), false);
      assert.equal((await p.sync()).full, true);
      assert.equal(inputs.length, 1);
      // Adds only: through the session, nft -f not run.
      state.setService({ ...svc, metadata: { name: 't', namespace: 'default' }, spec: { ...svc.spec, clusterIP: '10.0.0.2' } }, 'default/t');
      assert.equal((await p.sync()).full, false);
      assert.equal(inputs.length, 1);
      // An endpoint replaced (an element delete): refused by the session, so a full sync by nft -f.
      state.setSlice(slice('10.244.0.9'), false);
      const r = await p.sync();
      assert.equal(r.full, true);
      assert.equal(inputs.length, 2);
      assert.ok(inputs[1]!.includes('add element ip kube-proxy backends-1-tcp-80-8080-0 { 10.0.0.1 : 10.244.0.9 }'), inputs[1]);
    } finally {
      await p.close();
    }
    await assert.rejects(p.sync(), /closed/);
  });

  it('an nft -i that never answers (no interactive CLI in this build) is given up: changes go to nft -f', async () => {
    const inputs: string[] = [];
    let starts = 0;
    const exec: Exec = {
      run: (_cmd, _args, input) => {
        inputs.push(input ?? '');
        return Promise.resolve({ code: 0, stdout: '', stderr: '' });
      },
      start: () => {
        starts++;
        return spawn(process.execPath, ['-e', 'process.stdout.write("Error: interactive CLI not supported in this build\\n"); process.exit(1)'], { stdio: ['pipe', 'pipe', 'pipe'] });
      },
    };
    const state = new ProxyState('n1');
    const svc = (i: number): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}`, namespace: 'default' }, spec: { clusterIP: `10.0.0.${i}`, ports: [{ name: 'http', port: 80 }] } });
    const p = new NftablesProxier({ exec, state, log: logger('test-nft-session'), clusterCIDR: '10.244.0.0/16' });
    try {
      state.setService(svc(1), 'default/s1');
      assert.equal((await p.sync()).full, true);
      // The session dies unanswered: a full sync now, and no session again.
      state.setService(svc(2), 'default/s2');
      assert.equal((await p.sync()).full, true);
      state.setService(svc(3), 'default/s3');
      const r = await p.sync();
      assert.equal(r.full, false);
      assert.equal(starts, 1);
      assert.equal(inputs.length, 3);
      assert.ok(inputs[2]!.includes('10.0.0.3 . tcp . 80'), inputs[2]);
    } finally {
      await p.close();
    }
  });
});
