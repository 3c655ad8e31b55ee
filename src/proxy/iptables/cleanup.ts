import type { Exec } from '../exec.js';
import { isServiceChain } from '../names.js';
import { OWN_FIXED_CHAINS } from './chains.js';
import { parseSave, ruleTarget } from './save.js';

// `k8ts proxy --cleanup`: every jump into our chains and every chain of ours,
// in every table, gone in one iptables-restore transaction.

const ours = (c: string): boolean => OWN_FIXED_CHAINS.has(c) || isServiceChain(c);

export interface CleanupResult {
  chains: number;
  jumps: number;
}

export async function cleanupIptables(exec: Exec, saveCommand = 'iptables-save', restoreCommand = 'iptables-restore'): Promise<CleanupResult> {
  const s = await exec.run(saveCommand, []);
  if (s.code !== 0) throw new Error(`${saveCommand} failed: ${s.stderr.trim()}`);
  const tables = parseSave(s.stdout);
  const out: string[] = [];
  let chains = 0;
  let jumps = 0;
  for (const [name, t] of tables) {
    const mine = [...t.chains].filter(ours);
    // Rules in chains that are not ours but jump to ours (PREROUTING, INPUT, ...).
    const foreignJumps = t.rules.filter((r) => {
      const chain = r.split(' ')[1]!;
      const target = ruleTarget(r);
      return !ours(chain) && target !== undefined && ours(target);
    });
    if (!mine.length && !foreignJumps.length) continue;
    out.push(`*${name}`);
    for (const r of foreignJumps) out.push(`-D${r.slice(2)}`);
    // Declaring a chain flushes it, so no reference among our own chains blocks the deletes.
    for (const c of mine) out.push(`:${c} - [0:0]`);
    for (const c of mine) out.push(`-X ${c}`);
    out.push('COMMIT');
    chains += mine.length;
    jumps += foreignJumps.length;
  }
  if (out.length) {
    const r = await exec.run(restoreCommand, ['-w', '5', '--noflush'], `${out.join('\n')}\n`);
    if (r.code !== 0) throw new Error(`${restoreCommand} failed during clean-up: ${r.stderr.trim()}`);
  }
  return { chains, jumps };
}
