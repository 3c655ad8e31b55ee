import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dockerAnswers } from './agent.js';
import { createRuntime } from './kubelet.js';
import { progress } from './progress.js';
import { uninstallNode } from '../join/uninstall.js';

// The command-line half of `k8ts agent --uninstall` and `k8ts server
// --uninstall`: one progress line per step, every step that could not be
// undone listed, exit status 1 then (a second run picks up the rest).

export interface UninstallCommand {
  nodeName: string;
  runtime: string;
  rootDir: string;
  /** Removed once everything else is undone. */
  dirs: string[];
  /** A server's data directory: its SQLite store must not be in use (a running server would rebuild what is removed). */
  serverDataDir?: string;
}

export async function runUninstall(c: UninstallCommand): Promise<boolean> {
  let lock: { release(): void } | undefined;
  if (c.serverDataDir && existsSync(join(c.serverDataDir, 'state.db'))) {
    const { acquireLock } = await import('../storage/sqlite/lock.js');
    try {
      lock = acquireLock(join(c.serverDataDir, 'state.db'), 0);
    } catch {
      progress(`a k8ts server is running on ${c.serverDataDir}: stop it first, then uninstall`);
      return false;
    }
  }
  try {
    progress(`uninstalling node ${c.nodeName} from this host (its pods, pod network and proxy rules, then its data)`);
    const report = await uninstallNode({ ...c, progress, dockerAnswers: () => dockerAnswers(), createRuntime: (kind, o) => createRuntime(kind, o) });
    if (report.failures.length) {
      for (const f of report.failures) progress(`not undone: ${f}`);
      progress('uninstall incomplete: fix the above and run it again (it picks up where it stopped)');
      return false;
    }
    progress(`node ${c.nodeName} uninstalled from this host${c.serverDataDir ? ' with the cluster\'s state' : `; its Node object stays in the cluster until \`kubectl delete node ${c.nodeName}\``}`);
    return true;
  } finally {
    lock?.release();
  }
}
