// Typed storage failures. The API server maps each code to one Kubernetes
// Status reason in src/apiserver/errors (KeyExists → AlreadyExists 409,
// NotFound → 404, Conflict → 409, Expired → 410 Gone, TooLarge → 413,
// InvalidKey → 400 BadRequest, Corrupt/Unavailable → 500 InternalError,
// FutureRevision → 504 Timeout "Too large resource version" with cause
// ResourceVersionTooLarge, as upstream's watch cache answers).
export type StorageErrorCode =
  | 'KeyExists'
  | 'NotFound'
  | 'Conflict'
  | 'Expired'
  | 'TooLarge'
  | 'InvalidKey'
  | 'Corrupt'
  | 'Unavailable'
  /** A read at a revision newer than the store's current one. */
  | 'FutureRevision';

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  readonly key: string;
  /**
   * For Expired: the oldest revision still available (0 if unknown); for
   * Conflict: the key's current revision; for FutureRevision: the current revision.
   */
  readonly revision: number;

  constructor(code: StorageErrorCode, key: string, message: string, revision = 0) {
    super(message);
    this.name = 'StorageError';
    this.code = code;
    this.key = key;
    this.revision = revision;
  }
}

export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code);
}
