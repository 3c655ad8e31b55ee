// Typed storage failures. The API server maps each code to one Kubernetes
// Status reason in src/apiserver/errors (KeyExists → AlreadyExists 409,
// NotFound → 404, Conflict → 409, Expired → 410 Gone, TooLarge → 413,
// InvalidKey → 400 BadRequest, Corrupt/Unavailable → 500 InternalError).
export type StorageErrorCode =
  | 'KeyExists'
  | 'NotFound'
  | 'Conflict'
  | 'Expired'
  | 'TooLarge'
  | 'InvalidKey'
  | 'Corrupt'
  | 'Unavailable';

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  readonly key: string;
  /** For Expired: the oldest revision still available; for Conflict: the key's current revision. */
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
