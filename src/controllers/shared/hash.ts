// Names derived from pod templates (ReplicaSets "<deploy>-<hash>",
// ControllerRevisions "<ds>-<hash>") use upstream's scheme: a 32-bit FNV-1a
// of the template, the collision count mixed in as 8 little-endian bytes,
// and the decimal digits mapped onto an alphabet without vowels so that no
// name spells a word.

import { semanticKey } from './semantic.js';

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function fnv32a(data: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (const b of data) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Each character of s mapped onto the safe alphabet by its code point. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) out += SAFE_ALPHABET[ch.codePointAt(0)! % SAFE_ALPHABET.length];
  return out;
}

/** The hash upstream's ComputeHash produces in shape: fnv32a of the template plus the collision count, safe-encoded. */
export function computeHash(template: unknown, collisionCount?: number): string {
  // Rendered semantically (zero values dropped, keys sorted) so that equal templates hash alike whatever their JSON spelling.
  let h = fnv32a(new TextEncoder().encode(semanticKey(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(bytes, h);
  }
  return safeEncodeString(String(h));
}
