/** A join that cannot go on; `message` is the one line `k8ts agent` prints before it exits non-zero. */
export class JoinError extends Error {
  constructor(
    message: string,
    readonly reason: 'CAHashMismatch' | 'TokenInvalidOrExpired' | 'TokenSecretWrong' | 'TokenRefused' | 'Unreachable' | 'Denied' | 'Failed' | 'BadServerAnswer',
  ) {
    super(message);
    this.name = 'JoinError';
  }
}
