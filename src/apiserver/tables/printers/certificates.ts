// CertificateSigningRequests: who asked, which signer, and where the request stands.

import { humanDuration, since } from '../duration.js';
import { rec, recs, str } from '../fields.js';
import { ageCol, col, nameCol, type Printer } from '../model.js';

/** Upstream's extractCSRStatus: Denied over Approved over Pending, then Failed and Issued. */
export function csrCondition(status: unknown): string {
  const types = new Set(recs(rec(status).conditions).map((c) => str(c.type)));
  let out = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) out += ',Failed';
  if (str(rec(status).certificate)) out += ',Issued';
  return out;
}

export const certificateSigningRequestPrinter: Printer = {
  columns: [
    nameCol(),
    ageCol(),
    col('SignerName', 'string', 'Requested signer for the request.'),
    col('Requestor', 'string', 'Base64-encoded PKCS#10 CSR data'),
    col('RequestedDuration', 'string', 'expirationSeconds is the requested duration of validity of the issued certificate.'),
    col('Condition', 'string', 'Conditions applied to the request. Known conditions are "Approved", "Denied", and "Failed".'),
  ],
  print: (csr, now) => {
    const spec = rec(csr.spec);
    const secs = spec.expirationSeconds;
    return {
      cells: [
        str(csr.metadata.name),
        since(csr.metadata.creationTimestamp, now),
        str(spec.signerName) || '<none>',
        str(spec.username),
        typeof secs === 'number' ? humanDuration(secs * 1000) : '<none>',
        csrCondition(csr.status),
      ],
    };
  },
};
