import { StatusError } from '../../api/errors.js';

/**
 * Upstream answers every failed authentication with the same bare 401: the
 * cause goes to the log, never to the client, so a caller cannot probe which
 * part of a credential was wrong.
 */
export function unauthorized(): StatusError {
  return new StatusError(401, 'Unauthorized', 'Unauthorized');
}

/** A credential that was presented and is wrong: the union stops here with 401. */
export class CredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialError';
  }
}
