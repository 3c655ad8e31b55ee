// A throw-away etcd cluster of N members on 127.0.0.1 (free ports, data on
// tmpfs when there is one), for the HA tests and bench: members can be
// SIGKILLed and started again on their data. Same skip rule as etcd.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdBinary, freePorts, healthy, tmpfsRoot } from './etcd.js';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  child: ChildProcess | null;
}

export interface EtcdCluster {
  endpoints: string[];
  members: EtcdMember[];
  /** SIGKILL one member (no clean shutdown). */
  kill(i: number): Promise<void>;
  /** Start a killed member again on its data. */
  restart(i: number): Promise<void>;
  /** The member that is raft leader now, by asking each live member. */
  leaderIndex(): Promise<number>;
  stop(): Promise<void>;
}

export async function startEtcdCluster(n = 3, opts: { electionTimeoutMs?: number; heartbeatMs?: number } = {}): Promise<EtcdCluster> {
  const bin = etcdBinary();
  if (!bin) throw new Error('etcd binary not found: install etcd-server or set ETCD_BIN');
  const dir = mkdtempSync(join(tmpfsRoot() ?? tmpdir(), 'k8ts-etcd-cluster-'));
  const ports = await freePorts(2 * n);
  const members: EtcdMember[] = Array.from({ length: n }, (_, i) => ({
    name: `m${i}`,
    clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
    peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
    child: null,
  }));
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const killAll = (): void => {
    for (const m of members) m.child?.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const launch = (m: EtcdMember, state: 'new' | 'existing'): void => {
    const args = [
      '--name', m.name,
      '--data-dir', join(dir, m.name),
      '--listen-client-urls', m.clientUrl,
      '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', m.peerUrl,
      '--initial-advertise-peer-urls', m.peerUrl,
      '--initial-cluster', initialCluster,
      '--initial-cluster-state', state,
      '--initial-cluster-token', 'k8ts-test',
      '--log-level', 'error',
      '--logger', 'zap',
      '--experimental-watch-progress-notify-interval', '2s',
    ];
    if (opts.heartbeatMs) args.push('--heartbeat-interval', String(opts.heartbeatMs));
    if (opts.electionTimeoutMs) args.push('--election-timeout', String(opts.electionTimeoutMs));
    m.child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'ignore'] });
  };
  const waitHealthy = async (m: EtcdMember): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (!(await healthy(m.clientUrl))) {
      if (Date.now() > deadline) throw new Error(`etcd member ${m.name} not healthy within 60 s`);
      if (m.child && m.child.exitCode !== null) throw new Error(`etcd member ${m.name} exited ${m.child.exitCode}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const kill = async (i: number): Promise<void> => {
    const c = members[i]!.child;
    members[i]!.child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    await exited;
  };
  const cluster: EtcdCluster = {
    endpoints: members.map((m) => m.clientUrl),
    members,
    kill,
    async restart(i) {
      launch(members[i]!, 'existing');
      await waitHealthy(members[i]!);
    },
    async leaderIndex() {
      for (const m of members) {
        if (!m.child) continue;
        try {
          const res = await fetch(`${m.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(2000) });
          const body = (await res.json()) as { leader?: string; header?: { member_id?: string } };
          if (body.leader && body.leader === body.header?.member_id) return members.indexOf(m);
        } catch {
          // not answering: not the leader
        }
      }
      return -1;
    },
    async stop() {
      await Promise.all(members.map((_, i) => kill(i)));
      process.removeListener('exit', killAll);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const m of members) launch(m, 'new');
    await Promise.all(members.map(waitHealthy));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
