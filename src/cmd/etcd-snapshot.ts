import type { Command } from 'commander';
import { restoreSnapshot, saveSnapshot } from '../etcd/snapshot.js';
import { progress } from './progress.js';

// `k8ts etcd-snapshot save|restore` for a server on managed etcd (k3s's etcd-snapshot).

interface Flags {
  dataDir: string;
  dir?: string;
  name?: string;
}

export function addEtcdSnapshotCommand(program: Command): void {
  const cmd = program.command('etcd-snapshot').description('save or restore snapshots of a server\'s managed etcd (--cluster-init, --server)');
  cmd
    .command('save')
    .description('take a snapshot of the local etcd member while the server runs')
    .option('--data-dir <dir>', 'the server\'s data directory', process.env.K8TS_DATA_DIR ?? '.k8ts')
    .option('--dir <dir>', 'where snapshots go (default: DIR/db/snapshots)')
    .option('--name <name>', 'snapshot name prefix; the file is NAME-MEMBER-UNIXTIME', 'on-demand')
    .action(async (flags: Flags) => {
      const file = await saveSnapshot(flags);
      progress(`snapshot saved: ${file}`);
    });
  cmd
    .command('restore <file>')
    .description('with the server stopped: make the data dir\'s etcd a new one-member cluster holding the snapshot (k3s: --cluster-reset --cluster-reset-restore-path)')
    .option('--data-dir <dir>', 'the server\'s data directory', process.env.K8TS_DATA_DIR ?? '.k8ts')
    .action(async (file: string, flags: Flags) => {
      const r = await restoreSnapshot({ dataDir: flags.dataDir, file });
      if (r.oldData) progress(`the previous member data is kept in ${r.oldData}`);
      progress(`restored ${file} as a new one-member etcd cluster (member ${r.member.name}); start k8ts server --data-dir ${flags.dataDir}; other servers must delete their DIR/etcd and join again with --server URL --token T`);
    });
}
