// Kinds without a printer get upstream's default table (rest.DefaultTableConvertor):
// NAME and CREATED AT, the latter a date-typed RFC 3339 string that kubectl shows as is.

import { DESC } from './descriptions.js';
import { parseTime } from './duration.js';
import { str } from './fields.js';
import { nameCol, type Printer } from './model.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

function rfc3339(ts: unknown): string {
  const t = parseTime(ts);
  return t === undefined ? ZERO_TIME : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const defaultPrinter: Printer = {
  columns: [nameCol(), { name: 'Created At', type: 'date', format: '', description: DESC.creationTimestamp, priority: 0 }],
  print: (obj) => ({ cells: [str(obj.metadata.name), rfc3339(obj.metadata.creationTimestamp)] }),
};
