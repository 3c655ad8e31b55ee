// Input checks shared by every backend, so each one rejects bad keys and
// oversized values with the same typed error before touching its database.
import { StorageError } from './errors.js';
import { KEY_PREFIX, MAX_VALUE_BYTES } from './interface.js';

/** A key must sit strictly below KEY_PREFIX; NUL is reserved for range arithmetic. */
export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length <= KEY_PREFIX.length || !key.startsWith(KEY_PREFIX) || key.includes('\0')) {
    throw new StorageError('InvalidKey', String(key), `invalid key ${JSON.stringify(key)}: must start with ${KEY_PREFIX}`);
  }
}

/** A list or watch prefix may be KEY_PREFIX itself. */
export function checkPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || !prefix.startsWith(KEY_PREFIX) || prefix.includes('\0')) {
    throw new StorageError('InvalidKey', String(prefix), `invalid key prefix ${JSON.stringify(prefix)}: must start with ${KEY_PREFIX}`);
  }
}

export function checkValue(key: string, value: string): void {
  if (typeof value !== 'string') {
    throw new StorageError('Corrupt', key, `value for ${key} must be a string`);
  }
  // UTF-8 needs at most 3 bytes per UTF-16 unit, so short values skip the byte count.
  if (value.length * 3 <= MAX_VALUE_BYTES) return;
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_VALUE_BYTES) {
    throw new StorageError('TooLarge', key, `value for ${key} is ${bytes} bytes, over the limit of ${MAX_VALUE_BYTES}`);
  }
}

export function checkTtl(key: string, ttlSeconds: number | undefined): void {
  if (ttlSeconds === undefined) return;
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new StorageError('InvalidKey', key, `ttlSeconds must be a positive number, got ${ttlSeconds}`);
  }
}

/**
 * The smallest string greater than every string that starts with prefix, in
 * code point order (which is also UTF-8 byte order, the order both SQLite's
 * BINARY collation and etcd use).
 */
export function prefixEnd(prefix: string): string {
  const last = prefix.codePointAt(prefix.length - 1);
  if (last === undefined) return '\u{10FFFF}';
  const width = last > 0xffff ? 2 : 1;
  return prefix.slice(0, prefix.length - width) + String.fromCodePoint(last + 1);
}

/** The key a watch or list of `key` covers: a prefix match or one exact key. */
export function keyMatcher(key: string, recursive: boolean): (candidate: string) => boolean {
  return recursive ? (candidate) => candidate.startsWith(key) : (candidate) => candidate === key;
}
