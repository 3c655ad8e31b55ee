import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostExec, type Exec } from '../../src/proxy/exec.js';
import { ProxyState } from '../../src/proxy/state.js';
import { IptablesProxier, type SyncResult } from '../../src/proxy/iptables/proxier.js';
import { intToIp, ipToInt } from '../../src/proxy/addresses.js';
import { logger } from '../../src/util/log.js';
import type { EndpointSlice, Service } from '../../src/proxy/types.js';

// Rule sync time of the iptables proxier for N Services × 5 endpoints: the
// rule builder is fed synthetic objects and the real iptables-restore runs in
// a throw-away network namespace, so the host's tables are untouched.

export interface SyncFigures {
  services: number;
  backend: string;
  /** undefined: iptables-restore did not finish within the cap. */
  full?: SyncResult;
  fullAgain?: SyncResult;
  oneChange: SyncResult[];
  /** The first full sync's ruleset loaded with `nft -f` instead (translated by iptables-restore-translate). */
  nftFileMs?: number;
  capSeconds: number;
}

/**
 * Runs commands in the namespace with a time cap (coreutils timeout), and
 * optionally loads the next iptables-restore input with `nft -f` instead
 * (translated), timing that: the same ruleset through nftables' own loader.
 */
function benchExec(ns: string, capSeconds: number): Exec & { nftNext: boolean; nftMs?: number } {
  const inner = hostExec(ns);
  const e = {
    nftNext: false,
    nftMs: undefined as number | undefined,
    async run(cmd: string, args: string[], input?: string) {
      if (e.nftNext && cmd === 'iptables-restore') {
        e.nftNext = false;
        const file = join(tmpdir(), `${ns}.restore`);
        await writeFile(file, input ?? '');
        try {
          // The translator drops the protocol match in front of a DNAT with a port, which nft then refuses; put it back.
          const nftText = execFileSync('iptables-restore-translate', ['-f', file], { maxBuffer: 1 << 30 })
            .toString()
            .replace(/ counter dnat to /g, ' meta l4proto tcp counter dnat to ');
          // iptables-restore finds the built-in tables and chains; nft -f into an empty namespace must create them as iptables-nft does.
          const base = [
            'add table ip filter',
            ...['INPUT', 'FORWARD', 'OUTPUT'].map((c) => `add chain ip filter ${c} { type filter hook ${c.toLowerCase()} priority 0; policy accept; }`),
            'add table ip nat',
            'add chain ip nat PREROUTING { type nat hook prerouting priority -100; policy accept; }',
            'add chain ip nat INPUT { type nat hook input priority 100; policy accept; }',
            'add chain ip nat OUTPUT { type nat hook output priority -100; policy accept; }',
            'add chain ip nat POSTROUTING { type nat hook postrouting priority 100; policy accept; }',
          ];
          await writeFile(`${file}.nft`, `${base.join('\n')}\n${nftText}`);
          const t0 = performance.now();
          const r = await inner.run('timeout', [String(capSeconds), 'nft', '-f', `${file}.nft`]);
          e.nftMs = performance.now() - t0;
          return r;
        } finally {
          await rm(file, { force: true });
          await rm(`${file}.nft`, { force: true });
        }
      }
      return inner.run('timeout', [String(capSeconds), cmd, ...args], input);
    },
  };
  return e;
}

export function syntheticService(i: number): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: 'bench' }, spec: { type: 'ClusterIP', clusterIP: intToIp(ipToInt('10.96.0.0') + i + 1), ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } };
}

export function syntheticSlice(i: number, endpoints: number, gen = 0): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `svc-${i}-abc`, namespace: 'bench', labels: { 'kubernetes.io/service-name': `svc-${i}` } },
    addressType: 'IPv4',
    endpoints: Array.from({ length: endpoints }, (_, e) => ({ addresses: [intToIp(ipToInt('10.128.0.0') + i * 8 + e + gen)] , conditions: { ready: true }, nodeName: `node-${e}` })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

export async function measureSync(services: number, backend: 'nft' | 'legacy', o: { changes?: number; capSeconds?: number; loadWithNft?: boolean } = {}): Promise<SyncFigures> {
  const changes = o.changes ?? 10;
  const capSeconds = o.capSeconds ?? 300;
  const ns = `k8tsp-bench-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const state = new ProxyState('node-0');
    for (let i = 0; i < services; i++) {
      const s = syntheticService(i);
      state.setService(s, `bench/svc-${i}`);
      state.setSlice(syntheticSlice(i, 5), false);
    }
    const log = logger('bench-proxy');
    const exec = benchExec(ns, capSeconds);
    const proxier = new IptablesProxier({
      exec,
      state,
      log,
      clusterCIDR: '10.128.0.0/9',
      restoreCommand: backend === 'legacy' ? 'iptables-legacy-restore' : 'iptables-restore',
      saveCommand: backend === 'legacy' ? 'iptables-legacy-save' : 'iptables-save',
    });
    const out: SyncFigures = { services, backend, oneChange: [], capSeconds };
    const attempt = async (): Promise<SyncResult | undefined> => {
      try {
        return await proxier.sync();
      } catch (err) {
        process.stdout.write(`  sync did not complete: ${(err as Error).message.slice(0, 160)}\n`);
        return undefined;
      }
    };
    if (o.loadWithNft) {
      // iptables-nft-restore of the whole ruleset is too slow here to wait for: load it with nft -f, then measure partial syncs on it.
      exec.nftNext = true;
      await attempt();
      out.nftFileMs = exec.nftMs;
    } else {
      out.full = await attempt();
      if (!out.full) return out;
      proxier.requestFullSync();
      out.fullAgain = await attempt();
    }
    for (let c = 0; c < changes; c++) {
      const i = Math.floor(Math.random() * services);
      // One endpoint replaced: a pod of one service rolled.
      state.setSlice(syntheticSlice(i, 5, c + 1), false);
      const r = await attempt();
      if (!r) break;
      out.oneChange.push(r);
    }
    if (backend === 'nft' && !o.loadWithNft) out.nftFileMs = await nftFileTime(ns);
    return out;
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

/** The same ruleset loaded by `nft -f` in one go (translated from what iptables-restore loaded), into an empty namespace. */
async function nftFileTime(ns: string): Promise<number | undefined> {
  const save = execFileSync('ip', ['netns', 'exec', ns, 'iptables-save'], { maxBuffer: 1 << 30 }).toString();
  const file = join(tmpdir(), `${ns}.rules`);
  await writeFile(file, save);
  try {
    // The translator drops the protocol match in front of a DNAT with a port, which nft then refuses; put it back.
    const nftText = execFileSync('iptables-restore-translate', ['-f', file], { maxBuffer: 1 << 30 })
      .toString()
      .replace(/ counter dnat to /g, ' meta l4proto tcp counter dnat to ');
    await writeFile(`${file}.nft`, nftText);
    const fresh = `${ns}-nft`;
    execFileSync('ip', ['netns', 'add', fresh]);
    try {
      const t0 = performance.now();
      execFileSync('ip', ['netns', 'exec', fresh, 'nft', '-f', `${file}.nft`], { maxBuffer: 1 << 30 });
      return performance.now() - t0;
    } finally {
      execFileSync('ip', ['netns', 'del', fresh]);
    }
  } catch (err) {
    console.error(`nft -f comparison unavailable: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  } finally {
    await rm(file, { force: true });
    await rm(`${file}.nft`, { force: true });
  }
}
