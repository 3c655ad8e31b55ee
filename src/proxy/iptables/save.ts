// Reading `iptables-save` output: which chains exist per table, and the
// rules of the built-in chains (to find our jumps and, in --cleanup, every
// jump into our chains from chains that are not ours).

export interface SavedTable {
  chains: Set<string>;
  rules: string[];
}

/** builtInOnly: keep only the built-in chains' rules (the proxier's jump check). */
export function parseSave(text: string, builtInOnly = false): Map<string, SavedTable> {
  const tables = new Map<string, SavedTable>();
  // One regular-expression scan instead of splitting into lines: at 10,000 services the output is ~200,000 lines.
  const re = builtInOnly ? /^(?:\*(\S+)|:(\S+).*|(-A (?:PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) .*))$/gm : /^(?:\*(\S+)|:(\S+).*|(-A .*))$/gm;
  let cur: SavedTable | undefined;
  for (const m of text.matchAll(re)) {
    if (m[1] !== undefined) {
      cur = { chains: new Set(), rules: [] };
      tables.set(m[1], cur);
    } else if (!cur) {
      continue;
    } else if (m[2] !== undefined) {
      cur.chains.add(m[2]);
    } else if (m[3] !== undefined) {
      cur.rules.push(m[3]);
    }
  }
  return tables;
}

/** The target of a saved rule ("-j X"), if any. */
export function ruleTarget(rule: string): string | undefined {
  return / -j (\S+)/.exec(rule)?.[1];
}
