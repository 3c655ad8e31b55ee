import { hostExec } from '/work/wt/proxy/dist/src/proxy/exec.js';
import { ProxyState } from '/work/wt/proxy/dist/src/proxy/state.js';
import { IptablesProxier } from '/work/wt/proxy/dist/src/proxy/iptables/proxier.js';
import { execFileSync } from 'node:child_process';
import { logger } from '/work/wt/proxy/dist/src/util/log.js';
const n = Number(process.argv[2] ?? 1000);
const ns = 'k8tsp-exp';
try { execFileSync('ip', ['netns', 'del', ns]); } catch {}
execFileSync('ip', ['netns', 'add', ns]);
const st = new ProxyState('n0');
const ip = (x) => [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255].join('.');
for (let i = 0; i < n; i++) {
  st.setService({ metadata: { name: 's' + i, namespace: 'b' }, spec: { clusterIP: ip(0x0a600000 + i + 1), ports: [{ name: 'http', port: 80 }] } }, 'b/s' + i);
  st.setSlice({ metadata: { name: 's' + i + '-x', namespace: 'b', labels: { 'kubernetes.io/service-name': 's' + i } }, endpoints: [0,1,2,3,4].map((e) => ({ addresses: [ip(0x0a800000 + i * 8 + e)] })), ports: [{ name: 'http', port: 8080 }] }, false);
}
const p = new IptablesProxier({ exec: hostExec(ns), state: st, log: logger('exp') });
let t = performance.now(); const r = await p.sync(); console.log('full', Math.round(performance.now() - t), 'restore', Math.round(r.restoreMs));
const run = (cmd, args, input) => { const t0 = performance.now(); execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { input, maxBuffer: 1 << 30 }); return Math.round(performance.now() - t0); };
console.log('tiny restore nft', run('iptables-restore', ['--noflush'], '*nat\n:KUBE-TEST - [0:0]\nCOMMIT\n'));
console.log('tiny restore nft again', run('iptables-restore', ['--noflush'], '*nat\n:KUBE-TEST - [0:0]\nCOMMIT\n'));
console.log('save nft', run('iptables-save', []));
console.log('nft list', run('nft', ['list', 'ruleset']));
console.log('noop true', run('true', []));
t = performance.now(); st.setSlice({ metadata: { name: 's5-x', namespace: 'b', labels: { 'kubernetes.io/service-name': 's5' } }, endpoints: [0,1,2,3].map((e) => ({ addresses: [ip(0x0a800000 + 5 * 8 + e)] })), ports: [{ name: 'http', port: 8080 }] }, false);
const r2 = await p.sync(); console.log('partial', Math.round(performance.now() - t), 'restore', Math.round(r2.restoreMs), 'bytes', r2.bytes);
execFileSync('ip', ['netns', 'del', ns]);
