import type { Exec } from '../exec.js';
import { TABLE } from './table.js';

// `k8ts proxy --cleanup` (and a proxy switching away from nftables mode):
// kube-proxy's nftables rules are its tables, one per family; deleting them
// removes every chain, map and set at once.

/** Deletes `table ip kube-proxy` and `table ip6 kube-proxy` where present; the families removed. Without nft there is nothing of ours. */
export async function cleanupNftables(exec: Exec, nftCommand = 'nft'): Promise<string[]> {
  let listed;
  try {
    listed = await exec.run(nftCommand, ['list', 'tables']);
  } catch {
    return [];
  }
  if (listed.code !== 0) {
    // No nf_tables support or no nft binary: nothing can be ours.
    if (/not found|No such file|Operation not supported|Protocol not supported/i.test(listed.stderr) || listed.code === 127) return [];
    throw new Error(`${nftCommand} list tables failed: ${listed.stderr.trim()}`);
  }
  const families = ['ip', 'ip6'].filter((f) => listed.stdout.split('\n').some((l) => l.trim() === `table ${f} ${TABLE}`));
  if (!families.length) return [];
  const r = await exec.run(nftCommand, ['-f', '-'], families.map((f) => `delete table ${f} ${TABLE}\n`).join(''));
  if (r.code !== 0) throw new Error(`${nftCommand} failed during clean-up: ${r.stderr.trim()}`);
  return families;
}
