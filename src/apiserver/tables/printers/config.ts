// Namespaces and the small configuration kinds: ConfigMaps, Secrets,
// ServiceAccounts, ResourceQuotas.

import { DESC } from '../descriptions.js';
import { since } from '../duration.js';
import { arr, countKeys, rec, str } from '../fields.js';
import { ageCol, col, nameCol, type Printer } from '../model.js';
import { formatQuantity } from '../quantity.js';

export const namespacePrinter: Printer = {
  columns: [nameCol(), col('Status', 'string', 'The status of the namespace'), ageCol()],
  print: (ns, now) => ({ cells: [str(ns.metadata.name), str(rec(ns.status).phase), since(ns.metadata.creationTimestamp, now)] }),
};

export const configMapPrinter: Printer = {
  columns: [nameCol(), col('Data', 'string', DESC.configMapData), ageCol()],
  print: (cm, now) => ({
    cells: [str(cm.metadata.name), countKeys(cm.data) + countKeys(cm.binaryData), since(cm.metadata.creationTimestamp, now)],
  }),
};

export const secretPrinter: Printer = {
  columns: [nameCol(), col('Type', 'string', DESC.secretType), col('Data', 'string', DESC.secretData), ageCol()],
  print: (s, now) => ({
    // Upstream stores stringData merged into data; count both in case a caller skipped that.
    cells: [str(s.metadata.name), str(s.type), new Set([...Object.keys(rec(s.data)), ...Object.keys(rec(s.stringData))]).size, since(s.metadata.creationTimestamp, now)],
  }),
};

export const serviceAccountPrinter: Printer = {
  columns: [nameCol(), col('Secrets', 'string', DESC.saSecrets), ageCol()],
  print: (sa, now) => ({ cells: [str(sa.metadata.name), arr(sa.secrets).length, since(sa.metadata.creationTimestamp, now)] }),
};

/** "resource: used/hard" pairs in name order, limits.* in LIMIT and the rest in REQUEST. */
export function quotaColumns(status: unknown): { request: string; limit: string } {
  const hard = rec(rec(status).hard);
  const used = rec(rec(status).used);
  const request: string[] = [];
  const limit: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const pieces = name.split('.');
    const target = pieces.length > 1 && pieces[0] === 'limits' ? limit : request;
    target.push(`${name}: ${formatQuantity(used[name])}/${formatQuantity(hard[name])}`);
  }
  return { request: request.join(', '), limit: limit.join(', ') };
}

export const resourceQuotaPrinter: Printer = {
  columns: [
    nameCol(),
    col('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
    ageCol(),
  ],
  print(q, now) {
    const { request, limit } = quotaColumns(q.status);
    return { cells: [str(q.metadata.name), request, limit, since(q.metadata.creationTimestamp, now)] };
  },
};
