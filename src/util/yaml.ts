import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

// The `yaml` package costs ~0.9 MB of heap once loaded, and an idle server
// parses no YAML: only a YAML request body, a kubeconfig read from a file or a
// config file given on the command line does. It is a CommonJS package, so a
// require on first use loads it synchronously and the parsers stay synchronous.
// The kubeconfigs a server writes at every start go through emitYaml instead.

let loaded: typeof Yaml | undefined;

export function yaml(): typeof Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return loaded;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Words YAML 1.1 (go-yaml, kubectl's reader) or 1.2 resolve to a bool or null when unquoted. */
const KEYWORDS = new Set(['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null', '~']);

// A plain scalar that no YAML 1.1 or 1.2 reader takes for anything but a
// string: starts with a letter, "/" or "_" (never a number, sexagesimal or
// indicator), holds no space, '#', quote or flow character, and does not end
// with ':'. Base64 (certificate data) and URLs stay unquoted.
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./:@+=-]*$/;

function scalar(s: string): string {
  if (PLAIN.test(s) && !s.endsWith(':') && !KEYWORDS.has(s.toLowerCase())) return s;
  // A JSON string is a YAML double-quoted scalar: every JSON escape is a YAML one.
  return JSON.stringify(s);
}

/** A literal block (`|`) for text of several lines, or undefined when the text cannot be one exactly. */
function literal(s: string, indent: string): string | undefined {
  if (!s.includes('\n') || s.startsWith(' ') || s.startsWith('\n')) return undefined;
  // Only printable characters and newlines; a literal block keeps no escape sequences.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f\u007f\u0085\u2028\u2029\ufeff]/.test(s)) return undefined;
  const body = s.replace(/\n+$/, '');
  const trailing = s.length - body.length;
  if (body.split('\n').some((line) => line.startsWith(' ') && line.trim() === '')) return undefined;
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
  const lines = (trailing > 1 ? s.slice(0, -1) : body).split('\n');
  return `|${chomp}\n${lines.map((l) => (l === '' ? '' : indent + l)).join('\n')}`;
}

function value(v: JsonValue, indent: string): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`emitYaml: ${v} has no YAML form here`);
    return String(v);
  }
  if (typeof v === 'string') return literal(v, indent) ?? scalar(v);
  return '';
}

function block(v: JsonValue, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const item of v) {
      if (item !== null && typeof item === 'object' && (Array.isArray(item) ? item.length : Object.keys(item).length)) {
        const inner: string[] = [];
        block(item, `${indent}  `, inner);
        // The first line of the nested block goes on the dash's line.
        out.push(`${indent}- ${inner[0]!.slice(indent.length + 2)}`, ...inner.slice(1));
      } else out.push(`${indent}- ${inline(item, `${indent}  `)}`);
    }
    return;
  }
  if (v === null || typeof v !== 'object') throw new Error('emitYaml: a document must be a mapping or a sequence');
  for (const [k, item] of Object.entries(v)) {
    if (item !== null && typeof item === 'object' && (Array.isArray(item) ? item.length : Object.keys(item).length)) {
      out.push(`${indent}${scalar(k)}:`);
      // Sequences under a key sit at the key's indentation, as kubectl and the yaml package write them.
      block(item, Array.isArray(item) ? indent : `${indent}  `, out);
    } else out.push(`${indent}${scalar(k)}: ${inline(item, `${indent}  `)}`);
  }
}

/** A scalar, or an empty collection, on the line of its key or dash. */
function inline(v: JsonValue, indent: string): string {
  if (Array.isArray(v)) return '[]';
  if (v !== null && typeof v === 'object') return '{}';
  return value(v, indent);
}

/**
 * Block-style YAML for JSON-like data (kubeconfigs, the cluster-info
 * kubeconfig): strings are plain when no reader could take them for another
 * type, a literal block when they span lines, double-quoted otherwise.
 */
export function emitYaml(doc: JsonValue): string {
  if (doc === null || typeof doc !== 'object') return `${inline(doc, '')}\n`;
  if (Array.isArray(doc) ? !doc.length : !Object.keys(doc).length) return `${inline(doc, '')}\n`;
  const out: string[] = [];
  block(doc, '', out);
  return `${out.join('\n')}\n`;
}
