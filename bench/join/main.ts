// Issue #11's join figure: time from `k8ts agent` start (the process is
// spawned) to its Node Ready as the API server reports it, against the
// issue's target of 2 s (k3s agents take tens of seconds). One `k8ts server
// --disable-agent` on loopback; agents join one after another with a fresh
// data dir (a full join: discovery, CSR, approval, signing, registration),
// then once more each with the saved certificate (a restart).
// Run: npm run build && npm run bench:join -- [--agents 5] [--runtime fake|exec]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import { fmt, summarize, table } from '../lib/stats.js';
import { option as opt } from '../lib/args.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const AGENTS = Number(opt('--agents', '5'));
const RUNTIME = opt('--runtime', 'fake');
const TARGET_MS = 2000;
const NODES = resourceFor('', 'v1', 'nodes')!;

function spawnK8ts(argv: string[]): { child: ChildProcess; out: () => string } {
  const child = spawn(process.execPath, ['bin/k8ts.js', ...argv], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, K8TS_LOG_LEVEL: 'warn' } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, out: () => out };
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const stop = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null ? r() : (c.once('exit', () => r()), c.kill('SIGTERM'))));

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-join-'));
  const server = spawnK8ts(['server', '--data-dir', join(dir, 'server'), '--port', '0', '--disable-agent', '--disable-dns']);
  try {
    await waitFor(async () => (/is ready/.test(server.out()) ? true : undefined), 'the server');
    const m = /to add a node: k8ts agent --server (\S+) --token \$\(cat (\S+)\)/.exec(server.out())!;
    const url = m[1]!;
    const token = (await readFile(m[2]!, 'utf8')).trim();
    const admin = new RestClient(loadKubeconfig(join(dir, 'server', 'kubeconfig.yaml')), { component: 'bench' });
    const ready = (name: string) => async () => {
      const n = await admin.get(NODES, undefined, name);
      const c = ((n.status ?? {}) as { conditions?: { type: string; status: string }[] }).conditions?.find((x) => x.type === 'Ready');
      return c?.status === 'True' ? true : undefined;
    };
    const join1 = async (name: string, withToken: boolean): Promise<{ ms: number; proc: ChildProcess }> => {
      const t0 = performance.now();
      const a = spawnK8ts(['agent', '--server', url, '--node-name', name, '--runtime', RUNTIME, '--kubelet-port', '0', '--disable-kube-proxy', '--data-dir', join(dir, name), ...(withToken ? ['--token', token] : [])]);
      await waitFor(ready(name), `node ${name} Ready:\n${a.out()}`);
      return { ms: performance.now() - t0, proc: a.child };
    };
    const fresh: number[] = [];
    const restart: number[] = [];
    for (let i = 0; i < AGENTS; i++) {
      const name = `bench-${i}`;
      const first = await join1(name, true);
      fresh.push(first.ms);
      await stop(first.proc);
      await admin.delete(NODES, undefined, name);
      const again = await join1(name, false);
      restart.push(again.ms);
      await stop(again.proc);
    }
    admin.close();
    const f = summarize(fresh);
    const r = summarize(restart);
    console.log(`join bench: ${AGENTS} agents, runtime ${RUNTIME}, loopback; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    console.log(
      table([
        ['case', 'p50', 'max', 'target', 'p50 / target'],
        ['join with token: agent start → Node Ready', `${fmt(f.p50, 0)} ms`, `${fmt(f.max, 0)} ms`, `${TARGET_MS} ms`, `${fmt(f.p50 / TARGET_MS)}×`],
        ['restart with saved certificate → Node Ready', `${fmt(r.p50, 0)} ms`, `${fmt(r.max, 0)} ms`, `${TARGET_MS} ms`, `${fmt(r.p50 / TARGET_MS)}×`],
      ]),
    );
  } finally {
    await stop(server.child);
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
