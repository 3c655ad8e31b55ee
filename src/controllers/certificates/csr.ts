import type { KubeObject } from '../../api/types.js';
import { CsrParseError, parseCsrPem, type ParsedCsr } from '../../pki/csr.js';

// What the certificate controllers need to know about a CSR object, after
// upstream's pkg/apis/certificates helpers (IsKubeletClientCSR and friends).

export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const APISERVER_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';
export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';

export interface CsrSpec {
  request?: string;
  signerName?: string;
  usages?: string[];
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  expirationSeconds?: number;
}

export interface CsrCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export const specOf = (csr: KubeObject): CsrSpec => (csr.spec ?? {}) as CsrSpec;
export const conditionsOf = (csr: KubeObject): CsrCondition[] => ((csr.status ?? {}) as { conditions?: CsrCondition[] }).conditions ?? [];
export const certificateOf = (csr: KubeObject): string => ((csr.status ?? {}) as { certificate?: string }).certificate ?? '';
export const hasCondition = (csr: KubeObject, type: string): boolean => conditionsOf(csr).some((c) => c.type === type && c.status === 'True');

export function isApproved(csr: KubeObject): boolean {
  return hasCondition(csr, 'Approved') && !hasCondition(csr, 'Denied');
}

export function parseRequest(csr: KubeObject): ParsedCsr | Error {
  try {
    return parseCsrPem(Buffer.from(specOf(csr).request ?? '', 'base64').toString('latin1'));
  } catch (err) {
    if (err instanceof CsrParseError) return err;
    throw err;
  }
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x)) && new Set(a).size === a.length;

/** Upstream's ValidateKubeletClientCSR: null when the request is a well-formed kubelet client certificate. */
export function kubeletClientProblem(req: ParsedCsr, usages: string[]): string | null {
  if (req.organizations.length !== 1 || req.organizations[0] !== 'system:nodes') return 'subject organization is not system:nodes';
  if (req.dnsNames.length) return 'dnsNames are forbidden';
  if (req.emails.length) return 'email addresses are forbidden';
  if (req.ips.length) return 'ip addresses are forbidden';
  if (req.uris.length) return 'uri addresses are forbidden';
  if (!req.commonName.startsWith('system:node:') || req.commonName.length === 'system:node:'.length) return 'subject common name does not begin with system:node:';
  if (!sameSet(usages, ['digital signature', 'key encipherment', 'client auth']) && !sameSet(usages, ['digital signature', 'client auth'])) {
    return 'usages did not match [client auth digital signature key encipherment] or [client auth digital signature]';
  }
  return null;
}

/** Upstream's ValidateKubeletServingCSR. */
export function kubeletServingProblem(req: ParsedCsr, usages: string[]): string | null {
  if (req.organizations.length !== 1 || req.organizations[0] !== 'system:nodes') return 'subject organization is not system:nodes';
  if (req.dnsNames.length === 0 && req.ips.length === 0) return 'DNS or IP subjectAltName is required';
  if (req.emails.length) return 'email subjectAltNames are forbidden';
  if (req.uris.length) return 'URI subjectAltNames are forbidden';
  if (!req.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  if (!sameSet(usages, ['digital signature', 'key encipherment', 'server auth']) && !sameSet(usages, ['digital signature', 'server auth'])) {
    return 'usages did not match [digital signature key encipherment server auth] or [digital signature server auth]';
  }
  return null;
}

const API_CLIENT_USAGES = ['client auth', 'digital signature', 'key encipherment'];

/** Upstream's isKubeAPIServerClient usage check. */
export function apiServerClientProblem(usages: string[]): string | null {
  for (const u of usages) if (!API_CLIENT_USAGES.includes(u)) return `invalid usage for client certificate: ${u}`;
  return null;
}

export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
