// Reading `iptables-save` output: which chains exist per table, and the
// rules of the built-in chains (to find our jumps).

export interface SavedTable {
  chains: Set<string>;
  rules: string[];
}

export function parseSave(text: string): Map<string, SavedTable> {
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
    } else if (line.startsWith('-A ')) {
      cur.rules.push(line);
    }
  }
  return tables;
}

/** The target of a saved rule ("-j X"), if any. */
export function ruleTarget(rule: string): string | undefined {
  return / -j (\S+)/.exec(rule)?.[1];
}
