import { badRequest } from '../errors.js';

// Label selectors as upstream's labels.Parse understands them: equality
// (=, ==, !=), sets (in, notin), existence (key, !key) and Gt/Lt.

export type LabelOperator = 'in' | 'notin' | 'exists' | '!' | '=' | '!=' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  op: LabelOperator;
  values: string[];
}

export type LabelSelector = LabelRequirement[];

const KEY_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

class Lexer {
  pos = 0;
  constructor(readonly s: string) {}

  skipSpace(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos]!)) this.pos++;
  }

  peek(): string {
    this.skipSpace();
    return this.s.slice(this.pos);
  }

  eat(token: string): boolean {
    if (this.peek().startsWith(token)) {
      this.pos += token.length;
      return true;
    }
    return false;
  }

  /** Identifier or value: everything up to a delimiter. */
  word(): string {
    this.skipSpace();
    const start = this.pos;
    while (this.pos < this.s.length && !/[\s,()=!<>]/.test(this.s[this.pos]!)) this.pos++;
    return this.s.slice(start, this.pos);
  }

  done(): boolean {
    return this.peek().length === 0;
  }
}

function fail(sel: string, why: string): never {
  throw badRequest(`unable to parse requirement: ${why} (in label selector "${sel}")`);
}

function checkKey(sel: string, key: string): void {
  if (!key || key.length > 317 || !KEY_RE.test(key)) fail(sel, `invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
}

function checkValue(sel: string, v: string): void {
  if (v.length > 63 || !VALUE_RE.test(v)) fail(sel, `invalid label value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
}

export function parseLabelSelector(sel: string): LabelSelector {
  const out: LabelSelector = [];
  const lx = new Lexer(sel);
  if (lx.done()) return out;
  for (;;) {
    if (lx.eat('!')) {
      const key = lx.word();
      checkKey(sel, key);
      out.push({ key, op: '!', values: [] });
    } else {
      const key = lx.word();
      checkKey(sel, key);
      const rest = lx.peek();
      if (rest === '' || rest.startsWith(',')) {
        out.push({ key, op: 'exists', values: [] });
      } else if (lx.eat('==') || lx.eat('=')) {
        const v = lx.word();
        checkValue(sel, v);
        out.push({ key, op: '=', values: [v] });
      } else if (lx.eat('!=')) {
        const v = lx.word();
        checkValue(sel, v);
        out.push({ key, op: '!=', values: [v] });
      } else if (lx.eat('>') || lx.eat('<')) {
        const op = sel[lx.pos - 1] === '>' ? 'gt' : 'lt';
        const v = lx.word();
        if (!/^-?\d+$/.test(v)) fail(sel, `for 'Gt', 'Lt' operators, the value must be an integer`);
        out.push({ key, op, values: [v] });
      } else {
        const w = lx.word();
        if (w !== 'in' && w !== 'notin') fail(sel, `found '${w || rest[0]}', expected: '=', '!=', '==', 'in', notin'`);
        if (!lx.eat('(')) fail(sel, `found '${lx.peek()[0] ?? ''}', expected: '('`);
        const values: string[] = [];
        for (;;) {
          const v = lx.word();
          checkValue(sel, v);
          values.push(v);
          if (lx.eat(')')) break;
          if (!lx.eat(',')) fail(sel, `found '${lx.peek()[0] ?? 'end of string'}', expected: ',', or ')'`);
        }
        out.push({ key, op: w, values });
      }
    }
    if (lx.done()) break;
    if (!lx.eat(',')) fail(sel, `found '${lx.peek()[0]}', expected: ',' or 'end of string'`);
  }
  return out;
}

export function matchesLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const r of sel) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = has ? labels![r.key]! : undefined;
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
      case '=':
      case 'in':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case '!=':
      case 'notin':
        if (has && r.values.includes(v!)) return false;
        break;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v!)) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        if (r.op === 'gt' ? !(n > bound) : !(n < bound)) return false;
        break;
      }
    }
  }
  return true;
}

/** A metav1.LabelSelector (matchLabels + matchExpressions) as requirements. */
export function fromMetaSelector(s: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): LabelSelector {
  const out: LabelSelector = [];
  if (!s) return out;
  for (const [key, v] of Object.entries(s.matchLabels ?? {})) out.push({ key, op: '=', values: [v] });
  for (const e of s.matchExpressions ?? []) {
    const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' } as const)[e.operator as 'In'];
    if (!op) throw badRequest(`"${e.operator}" is not a valid label selector operator`);
    out.push({ key: e.key, op, values: e.values ?? [] });
  }
  return out;
}

/** The string form, as upstream prints selectors (e.g. in scale status and tables). */
export function formatLabelSelector(sel: LabelSelector): string {
  return sel
    .map((r) => {
      switch (r.op) {
        case 'exists':
          return r.key;
        case '!':
          return `!${r.key}`;
        case '=':
          return `${r.key}=${r.values[0]}`;
        case '!=':
          return `${r.key}!=${r.values[0]}`;
        case 'gt':
          return `${r.key}>${r.values[0]}`;
        case 'lt':
          return `${r.key}<${r.values[0]}`;
        default:
          return `${r.key} ${r.op} (${[...r.values].sort().join(',')})`;
      }
    })
    .join(',');
}
