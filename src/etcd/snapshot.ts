import { execFile } from 'node:child_process';
import { mkdir, rename, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { etcdctlBinary } from './binary.js';
import { ManagedEtcdError } from './errors.js';
import { memberHealthy } from './health.js';
import { etcdDir, hasMemberData, loadMemberConfig, localClientUrl, memberDataDir, peerUrl, type MemberConfig } from './member.js';
import { clientTls, etcdPkiFiles } from './pki.js';

// `k8ts etcd-snapshot save|restore`, as k3s's: save asks the local member for
// a snapshot of its database (etcdctl snapshot save, through the member's
// client TLS); restore turns a snapshot into a new one-member cluster in this
// data dir (k3s's --cluster-reset --cluster-reset-restore-path): the old
// member data is kept aside, and the other servers must join again.

function etcdctl(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const bin = etcdctlBinary();
  return new Promise((res, rej) => {
    execFile(bin, args, { env: { ...process.env, ETCDCTL_API: '3', ...env }, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) rej(new ManagedEtcdError(`etcdctl ${args[0]} ${args[1] ?? ''} failed: ${(stderr || err.message).trim()}`, 'SnapshotFailed'));
      else res(stdout + stderr);
    });
  });
}

async function memberOf(dataDir: string): Promise<MemberConfig> {
  const m = await loadMemberConfig(dataDir);
  if (!m) throw new ManagedEtcdError(`${dataDir} runs no managed etcd member (start it with k8ts server --cluster-init first)`, 'BadDataDir');
  return m;
}

/** Saves a snapshot of the running member; returns its path. Names as k3s: NAME-MEMBER-UNIXTIME. */
export async function saveSnapshot(o: { dataDir: string; dir?: string; name?: string }): Promise<string> {
  const dataDir = resolve(o.dataDir);
  const m = await memberOf(dataDir);
  const files = etcdPkiFiles(dataDir);
  const dir = resolve(o.dir ?? join(dataDir, 'db', 'snapshots'));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${o.name ?? 'on-demand'}-${m.name}-${Math.floor(Date.now() / 1000)}`);
  await etcdctl(['snapshot', 'save', file, '--endpoints', localClientUrl(m), '--cacert', files.ca, '--cert', files.client, '--key', files.clientKey]);
  return file;
}

/** Replaces this data dir's member data with a one-member cluster restored from `file`; returns where the old data went. */
export async function restoreSnapshot(o: { dataDir: string; file: string }): Promise<{ oldData?: string; member: MemberConfig }> {
  const dataDir = resolve(o.dataDir);
  const file = resolve(o.file);
  await stat(file).catch(() => {
    throw new ManagedEtcdError(`no snapshot at ${file}`, 'SnapshotFailed');
  });
  const m = await memberOf(dataDir);
  const files = etcdPkiFiles(dataDir);
  // A running member would keep serving (and writing) the data we are about to set aside.
  const running = await clientTls(files).then((tls) => memberHealthy(localClientUrl(m), tls)).catch(() => ({ ok: false, why: '' }));
  const down = !running.ok && (running.why === '' || /ECONNREFUSED/.test(running.why));
  if (!down) {
    throw new ManagedEtcdError(`etcd member ${m.name} still answers on ${localClientUrl(m)}: stop k8ts server on this data dir before restoring`, 'SnapshotFailed');
  }
  let oldData: string | undefined;
  if (hasMemberData(dataDir)) {
    oldData = join(etcdDir(dataDir), `data.old-${Math.floor(Date.now() / 1000)}`);
    await rename(memberDataDir(dataDir), oldData);
  }
  await etcdctl(['snapshot', 'restore', file, '--name', m.name, '--data-dir', memberDataDir(dataDir), '--initial-cluster', `${m.name}=${peerUrl(m)}`, '--initial-advertise-peer-urls', peerUrl(m), '--initial-cluster-token', `k8ts-${m.name}-${Date.now()}`]);
  return { oldData, member: m };
}
