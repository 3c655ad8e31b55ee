/** Managed etcd cannot go on; the message is the one line `k8ts server` prints before it exits. */
export class ManagedEtcdError extends Error {
  constructor(
    message: string,
    readonly reason: 'BinaryMissing' | 'NotHealthy' | 'JoinFailed' | 'MemberRemoved' | 'BadDataDir' | 'SnapshotFailed',
  ) {
    super(message);
    this.name = 'ManagedEtcdError';
  }
}
