// Quantities print in canonical form ("1024Mi" shows as "1Gi"), because
// upstream re-serialises them; an absent quantity is the zero value, "0".

import { tryParseQuantity } from '../../api/quantity.js';

export function formatQuantity(q: unknown): string {
  if (q === undefined || q === null || q === '') return '0';
  const parsed = tryParseQuantity(q);
  return typeof parsed === 'string' ? String(q) : parsed.toString();
}
