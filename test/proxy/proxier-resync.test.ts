import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Exec } from '../../src/proxy/exec.js';
import { ProxyState } from '../../src/proxy/state.js';
import { IptablesProxier } from '../../src/proxy/iptables/proxier.js';
import { NftablesProxier } from '../../src/proxy/nftables/proxier.js';
import { logger } from '../../src/util/log.js';
import type { EndpointSlice, Service } from '../../src/proxy/types.js';

// A full re-sync writes every service again but renders again only those that
// changed since their last rendering: what it writes must still be the
// current state, after partial syncs, deletions and failures. The commands
// are recorded instead of run (the e2e suites run them for real).

function recorder(): Exec & { inputs: string[]; failNext: boolean } {
  const e = {
    inputs: [] as string[],
    failNext: false,
    run(cmd: string, _args: string[], input?: string) {
      if (cmd.includes('save')) return Promise.resolve({ code: 0, stdout: '*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n*filter\nCOMMIT\n', stderr: '' });
      e.inputs.push(input ?? '');
      if (e.failNext) {
        e.failNext = false;
        return Promise.resolve({ code: 1, stdout: '', stderr: 'boom' });
      }
      return Promise.resolve({ code: 0, stdout: '', stderr: '' });
    },
  };
  return e;
}

const svc = (i: number): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}`, namespace: 'default' }, spec: { clusterIP: `10.0.0.${i}`, ports: [{ name: 'http', port: 80 }] } });
const slice = (i: number, ip: string): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `s${i}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': `s${i}` } },
  addressType: 'IPv4',
  endpoints: [{ addresses: [ip], conditions: { ready: true } }],
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
});

for (const mode of ['iptables', 'nftables'] as const) {
  describe(`${mode} proxier: full re-syncs after partial ones`, () => {
    it('writes the current endpoints of every service, after changes, deletions and a failed sync', async () => {
      const exec = recorder();
      const state = new ProxyState('n1');
      const o = { exec, state, log: logger('test-proxy'), clusterCIDR: '10.244.0.0/16' };
      const p = mode === 'iptables' ? new IptablesProxier(o) : new NftablesProxier(o);
      // How each mode writes an endpoint (nftables: the data of a backends- map element).
      const ep = (ip: string): string => (mode === 'iptables' ? `${ip}:8080` : `: ${ip}`);
      for (let i = 1; i <= 3; i++) {
        state.setService(svc(i), `default/s${i}`);
        state.setSlice(slice(i, `10.244.0.${i}`), false);
      }
      assert.equal((await p.sync()).full, true);
      state.setSlice(slice(2, '10.244.9.2'), false);
      state.setService(undefined, 'default/s3');
      assert.equal((await p.sync()).full, false);
      p.requestFullSync();
      const r = await p.sync();
      assert.equal(r.full, true);
      const text = exec.inputs.at(-1)!;
      assert.ok(text.includes(ep('10.244.0.1')) && text.includes(ep('10.244.9.2')), text);
      assert.ok(!text.includes(ep('10.244.0.2')) && !text.includes('10.0.0.3'), text);
      // A failed partial sync: the next sync is full and carries the change that failed.
      state.setSlice(slice(1, '10.244.7.1'), false);
      exec.failNext = true;
      await assert.rejects(p.sync());
      const again = await p.sync();
      assert.equal(again.full, true);
      assert.ok(exec.inputs.at(-1)!.includes(ep('10.244.7.1')));
      assert.ok(!exec.inputs.at(-1)!.includes(ep('10.244.0.1')));
    });
  });
}
