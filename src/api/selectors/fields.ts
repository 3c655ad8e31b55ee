import { badRequest } from '../errors.js';

// Field selectors: only =, == and != on a fixed set of fields per resource,
// exactly as upstream (anything else is a 400 naming the field).

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export type FieldSelector = FieldRequirement[];

/** Split on unescaped commas; values may escape ',', '=' and '\\' with a backslash. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function unescape(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(s: string): FieldSelector {
  const out: FieldSelector = [];
  if (s.trim() === '') return out;
  for (const term of splitTerms(s)) {
    let m = /^([^=!]+)(!=|==|=)(.*)$/.exec(term.trim());
    if (!m) m = null;
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    out.push({ field: m[1]!.trim(), op: m[2] === '!=' ? '!=' : '=', value: unescape(m[3]!.trim()) });
  }
  return out;
}

export type FieldGetter = (obj: any) => string;

export function matchesFields(sel: FieldSelector, fields: Record<string, string>): boolean {
  for (const r of sel) {
    const v = fields[r.field] ?? '';
    if ((v === r.value) !== (r.op === '=')) return false;
  }
  return true;
}
