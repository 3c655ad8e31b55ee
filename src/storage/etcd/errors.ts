// etcd and gRPC failures mapped onto StorageError codes. etcd3 types its
// errors from the gRPC message text, so the etcd server's own wording is what
// identifies compaction, future revisions and oversized requests.
import { StorageError } from '../errors.js';

export function isCompacted(err: unknown): boolean {
  return err instanceof Error && err.message.includes('required revision has been compacted');
}

export function isFutureRevision(err: unknown): boolean {
  return err instanceof Error && err.message.includes('required revision is a future revision');
}

export function mapEtcdError(err: unknown, key: string, compactedRevision = 0): Error {
  if (err instanceof StorageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (isCompacted(err)) {
    return new StorageError('Expired', key, `${key}: required revision has been compacted`, compactedRevision);
  }
  if (isFutureRevision(err)) {
    return new StorageError('FutureRevision', key, `${key}: required revision is a future revision`);
  }
  if (message.includes('request is too large')) {
    return new StorageError('TooLarge', key, `${key}: etcd rejected the request as too large`);
  }
  return new StorageError('Unavailable', key, `etcd: ${message}`);
}
