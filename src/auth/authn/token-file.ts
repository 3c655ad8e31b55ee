import { readFileSync } from 'node:fs';
import type { UserInfo } from '../user.js';

/** Splits one CSV record with RFC 4180 quoting (what Go's encoding/csv accepts). */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur === '') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/**
 * --token-auth-file: token,user,uid[,"group1,group2"] per line, as upstream's
 * tokenfile authenticator. Read once at start, like upstream.
 */
export function loadTokenFile(path: string): Map<string, UserInfo> {
  const tokens = new Map<string, UserInfo>();
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const rec = parseCsvLine(line).map((f) => f.trim());
    if (rec.length < 3) throw new Error(`token file '${path}' must have at least 3 columns (token, user name, user uid), found ${rec.length} on line ${i + 1}`);
    const [token, username, uid] = rec as [string, string, string];
    if (!token) return;
    if (tokens.has(token)) return;
    const groups = rec.length >= 4 && rec[3] ? rec[3].split(',').map((g) => g.trim()).filter(Boolean) : [];
    tokens.set(token, { username, uid, groups });
  });
  return tokens;
}
