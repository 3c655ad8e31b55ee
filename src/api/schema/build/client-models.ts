// Reads the models of the installed @kubernetes/client-node: each generated
// class carries its fields' JSON names and types in a static attributeTypeMap
// (.js) and their descriptions and optionality in JSDoc (.d.ts). That package
// is generated from upstream's OpenAPI, so it is our source for field lists.

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ModelField {
  /** The JSON name. */
  name: string;
  /** client-node's TypeScript type: string, number, boolean, Date, any, IntOrString, V1Foo, Array<..>, { [key: string]: ..; }. */
  type: string;
  format: string;
  description?: string;
  required: boolean;
}

export interface ClientModel {
  className: string;
  description?: string;
  fields: ModelField[];
}

export function clientModelsDir(): string {
  const entry = fileURLToPath(import.meta.resolve('@kubernetes/client-node'));
  return join(dirname(entry), 'gen', 'models');
}

interface Attr {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

function unescapeDoc(lines: string): string {
  return lines
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s?/, '').trimEnd())
    .join('\n')
    .trim()
    .replace(/\\(['"\\])/g, '$1');
}

/** Property docs and optionality from a .d.ts, keyed by the TypeScript property name. */
function readDeclarations(dts: string): { classDoc?: string; props: Map<string, { doc?: string; optional: boolean }> } {
  const classAt = dts.indexOf('export declare class');
  const before = dts.slice(0, classAt);
  const lastDoc = before.lastIndexOf('/**');
  const classDoc = lastDoc >= 0 && before.slice(lastDoc).trimEnd().endsWith('*/')
    ? unescapeDoc(before.slice(lastDoc + 3, before.lastIndexOf('*/')))
    : undefined;
  const props = new Map<string, { doc?: string; optional: boolean }>();
  const body = dts.slice(classAt);
  const re = /(?:\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*)?'([^']+)'(\?)?:/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    props.set(m[2], { doc: m[1] === undefined ? undefined : unescapeDoc(m[1]), optional: m[3] === '?' });
  }
  return { classDoc: classDoc && !classDoc.startsWith('Kubernetes\n') ? classDoc : undefined, props };
}

export function readClientModels(dir = clientModelsDir()): Map<string, ClientModel> {
  const out = new Map<string, ClientModel>();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.js') || file === 'all.js' || file === 'ObjectSerializer.js') continue;
    const className = file.slice(0, -3);
    const js = readFileSync(join(dir, file), 'utf8');
    const m = /attributeTypeMap = (\[[\s\S]*?\]);/.exec(js);
    if (!m) continue;
    const attrs = JSON.parse(m[1]) as Attr[];
    const decl = readDeclarations(readFileSync(join(dir, `${className}.d.ts`), 'utf8'));
    out.set(className, {
      className,
      description: decl.classDoc,
      fields: attrs.map((a) => {
        const d = decl.props.get(a.name);
        return { name: a.baseName, type: a.type, format: a.format, description: d?.doc, required: d ? !d.optional : false };
      }),
    });
  }
  return out;
}
