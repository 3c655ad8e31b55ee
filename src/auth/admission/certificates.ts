import type { KubeObject } from '../../api/types.js';
import type { Authorizer } from '../authz/types.js';
import type { UserInfo } from '../user.js';
import { parseCsrPem } from '../../pki/csr.js';
import { admissionForbidden, type AdmissionAttributes } from './types.js';

// Upstream's three certificates admission plugins: CertificateApproval (the
// /approval writer needs `approve` on signers/<signerName>), CertificateSigning
// (whoever sets status.certificate needs `sign` on it) and
// CertificateSubjectRestriction (no system:masters certificates from the
// kube-apiserver-client signer). They need the authorizer, so the API server
// calls them beside RBAC's escalation check rather than through the chain.

const spec = (o: KubeObject | undefined) => (o?.spec ?? {}) as { signerName?: string; request?: string };
const certificateOf = (o: KubeObject | undefined) => ((o?.status ?? {}) as { certificate?: string }).certificate ?? '';

/** Upstream's IsAuthorizedForSignerName: the signer by name, or its domain's wildcard "example.com/*". */
export function authorizedForSigner(authz: Authorizer, user: UserInfo, verb: string, signerName: string): boolean {
  const ask = (name: string) => authz.authorize({ user, verb, resourceRequest: true, apiGroup: 'certificates.k8s.io', apiVersion: '*', resource: 'signers', name }).allowed;
  if (ask(signerName)) return true;
  const slash = signerName.indexOf('/');
  return slash > 0 && ask(`${signerName.slice(0, slash)}/*`);
}

export function admitCertificates(authz: Authorizer, a: AdmissionAttributes, obj: KubeObject | undefined, old: KubeObject | undefined): void {
  if (a.group !== 'certificates.k8s.io' || a.resource !== 'certificatesigningrequests' || !obj) return;
  const signerName = spec(old ?? obj).signerName ?? '';
  if (a.operation === 'UPDATE' && a.subresource === 'approval') {
    if (!authorizedForSigner(authz, a.user, 'approve', signerName)) throw admissionForbidden(a, `user not permitted to approve requests with signerName ${JSON.stringify(signerName)}`);
  }
  if (a.operation === 'UPDATE' && a.subresource === 'status' && certificateOf(obj) !== certificateOf(old)) {
    if (!authorizedForSigner(authz, a.user, 'sign', signerName)) throw admissionForbidden(a, `user not permitted to sign requests with signerName ${JSON.stringify(signerName)}`);
  }
  if (a.operation === 'CREATE' && signerName === 'kubernetes.io/kube-apiserver-client') {
    let orgs: string[] = [];
    try {
      orgs = parseCsrPem(Buffer.from(spec(obj).request ?? '', 'base64').toString('latin1')).organizations;
    } catch {
      // Validation has refused it already.
    }
    if (orgs.includes('system:masters')) throw admissionForbidden(a, 'use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed');
  }
}
