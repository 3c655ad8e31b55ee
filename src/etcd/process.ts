import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { etcdBinary, setprivBinary } from './binary.js';
import { ManagedEtcdError } from './errors.js';
import { memberHealthy } from './health.js';
import { clientUrl, etcdDir, localClientUrl, memberDataDir, peerUrl, type MemberConfig } from './member.js';
import type { EtcdPkiFiles } from './pki.js';
import { logger } from '../util/log.js';

// This host's etcd member as a child process: started with TLS everywhere,
// its output appended to DIR/etcd/etcd.log, waited for with a progress line
// every few seconds, and started again if it dies while the server runs (a
// member that crashed catches up from its peers). A member the cluster
// removed ends with a clear error instead of a restart loop.

const log = logger('etcd');
const READY_TIMEOUT_MS = 300_000;
const PROGRESS_EVERY_MS = 5000;
const RESTART_DELAY_MS = 1000;

export interface StartOptions {
  dataDir: string;
  member: MemberConfig;
  pki: EtcdPkiFiles;
  tls: { caPem: Buffer; certPem: Buffer; keyPem: Buffer };
  /** Only for a member with no data yet: `name=peerURL,...` and whether the cluster is new or existing. */
  initialCluster?: { members: string; state: 'new' | 'existing' };
  progress: (msg: string) => void;
  /** Told when the member was removed from the cluster and will not be started again. */
  onRemoved?: (err: ManagedEtcdError) => void;
}

export class EtcdMemberProcess {
  private child: ChildProcess | null = null;
  private stopping = false;
  private tail = '';
  private logStream: WriteStream | null = null;
  private readonly killOnExit = (): void => {
    this.child?.kill('SIGKILL');
  };

  constructor(private readonly o: StartOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private args(): string[] {
    const m = this.o.member;
    const p = this.o.pki;
    const clients = [...new Set([localClientUrl(m), clientUrl(m)])].join(',');
    const a = [
      '--name', m.name,
      '--data-dir', memberDataDir(this.o.dataDir),
      '--listen-client-urls', clients,
      '--advertise-client-urls', clientUrl(m),
      '--listen-peer-urls', peerUrl(m),
      '--initial-advertise-peer-urls', peerUrl(m),
      '--client-cert-auth', '--trusted-ca-file', p.ca, '--cert-file', p.server, '--key-file', p.serverKey,
      '--peer-client-cert-auth', '--peer-trusted-ca-file', p.ca, '--peer-cert-file', p.peer, '--peer-key-file', p.peerKey,
      '--logger', 'zap', '--log-outputs', 'stderr',
    ];
    // Ignored by etcd once the member has data, so a restart may pass them too; given only when known.
    if (this.o.initialCluster) a.push('--initial-cluster', this.o.initialCluster.members, '--initial-cluster-state', this.o.initialCluster.state);
    return a;
  }

  private launch(): void {
    const bin = etcdBinary();
    const setpriv = setprivBinary();
    // With setpriv the kernel kills etcd when this process dies, however it dies (SIGKILL included).
    const [cmd, argv] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', bin, ...this.args()]] : [bin, this.args()];
    this.logStream ??= createWriteStream(join(etcdDir(this.o.dataDir), 'etcd.log'), { flags: 'a' });
    const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr!.on('data', (d: Buffer) => {
      this.logStream?.write(d);
      this.tail = (this.tail + d.toString()).slice(-8000);
    });
    child.once('exit', (code, signal) => this.exited(child, code, signal));
    process.once('exit', this.killOnExit);
    log.info({ pid: child.pid, name: this.o.member.name }, 'etcd started');
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    process.removeListener('exit', this.killOnExit);
    if (this.child !== child) return;
    this.child = null;
    if (this.stopping) return;
    if (/permanently removed|member.*has already been bootstrapped|the member has been removed/.test(this.tail)) {
      const err = new ManagedEtcdError(`this server's etcd member ${this.o.member.name} was removed from the cluster; to join again, delete ${etcdDir(this.o.dataDir)} and start with --server URL --token T`, 'MemberRemoved');
      this.o.progress(err.message);
      this.o.onRemoved?.(err);
      return;
    }
    this.o.progress(`etcd member ${this.o.member.name} exited (${code ?? signal}); starting it again in ${RESTART_DELAY_MS / 1000} s (log: ${join(etcdDir(this.o.dataDir), 'etcd.log')})`);
    setTimeout(() => {
      if (!this.stopping) this.launch();
    }, RESTART_DELAY_MS).unref();
  }

  /** Starts etcd and resolves once it reports healthy, saying what it waits for every few seconds. */
  async start(): Promise<void> {
    const m = this.o.member;
    this.o.progress(`starting etcd member ${m.name} (peer ${peerUrl(m)}, client ${clientUrl(m)}; log ${join(etcdDir(this.o.dataDir), 'etcd.log')})`);
    this.launch();
    const t0 = Date.now();
    let said = t0;
    for (;;) {
      const h = await memberHealthy(localClientUrl(m), this.o.tls);
      if (h.ok) break;
      if (!this.child && !this.stopping && /removed/.test(this.tail)) throw new ManagedEtcdError(`etcd member ${m.name} was removed from the cluster`, 'MemberRemoved');
      const now = Date.now();
      if (now - t0 > READY_TIMEOUT_MS) {
        throw new ManagedEtcdError(`etcd member ${m.name} not healthy after ${READY_TIMEOUT_MS / 1000} s (last: ${h.why}); its log is ${join(etcdDir(this.o.dataDir), 'etcd.log')}:\n${this.tail.slice(-1500)}`, 'NotHealthy');
      }
      if (now - said >= PROGRESS_EVERY_MS) {
        said = now;
        this.o.progress(`waiting for etcd member ${m.name} to be healthy (${Math.round((now - t0) / 1000)} s; ${h.why}${this.o.initialCluster?.state === 'existing' ? '; joining and catching up with the cluster' : ''})`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    this.o.progress(`etcd member ${m.name} is healthy (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const gone = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGTERM');
      const force = setTimeout(() => c.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(force);
    }
    await new Promise<void>((r) => (this.logStream ? this.logStream.end(() => r()) : r()));
    this.logStream = null;
  }
}
