// Reading `iptables-save` output: which chains exist per table, and the
// rules of the built-in chains (to find our jumps and, in --cleanup, every
// jump into our chains from chains that are not ours).

export interface SavedTable {
  chains: Set<string>;
  rules: string[];
}

const BUILT_IN = /^-A (PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) /;

/** builtInOnly: keep only the built-in chains' rules (the proxier's jump check; at 10,000 services the rest is ~100,000 lines). */
export function parseSave(text: string, builtInOnly = false): Map<string, SavedTable> {
  const tables = new Map<string, SavedTable>();
  let cur: SavedTable | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      cur = { chains: new Set(), rules: [] };
      tables.set(line.slice(1).trim(), cur);
    } else if (!cur) {
      continue;
    } else if (line.startsWith(':')) {
      cur.chains.add(line.slice(1).split(' ')[0]!);
    } else if (line.startsWith('-A ') && (!builtInOnly || BUILT_IN.test(line))) {
      cur.rules.push(line);
    }
  }
  return tables;
}

/** The target of a saved rule ("-j X"), if any. */
export function ruleTarget(rule: string): string | undefined {
  return / -j (\S+)/.exec(rule)?.[1];
}
