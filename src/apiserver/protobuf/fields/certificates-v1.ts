// io.k8s.api.certificates.v1: protobuf field number → JSON property, from the Go structs' protobuf tags.
// See ./table.ts for the notation (a trailing "!" keeps a zero value; "..." inlines a struct).

import type { PackageFields } from './table.js';

export const CERTIFICATES_V1: PackageFields = {
  package: 'io.k8s.api.certificates.v1',
  types: {
    CertificateSigningRequest: { 1: 'metadata', 2: 'spec', 3: 'status' },
    CertificateSigningRequestCondition: {
      1: 'type!', 6: 'status!', 2: 'reason', 3: 'message', 4: 'lastUpdateTime', 5: 'lastTransitionTime',
    },
    CertificateSigningRequestList: { 1: 'metadata', 2: 'items' },
    CertificateSigningRequestSpec: {
      1: 'request!', 7: 'signerName!', 8: 'expirationSeconds!', 5: 'usages', 2: 'username', 3: 'uid', 4: 'groups',
      6: 'extra',
    },
    CertificateSigningRequestStatus: { 1: 'conditions', 2: 'certificate' },
  },
};
