// certificates.k8s.io/v1 CertificateSigningRequest, as upstream's
// ValidateCertificateSigningRequest{Create,Update,StatusUpdate,ApprovalUpdate}
// folded into one create/update check.

import type { KubeObject } from '../../types.js';
import { CsrParseError, parseCsrPem } from '../../../pki/csr.js';
import { duplicate, forbidden, GoSyntax, invalid, notSupported, required, type FieldError } from '../field.js';
import { isDNS1123Subdomain } from '../names.js';
import { asArray, asRecord, str } from '../util.js';

export const KNOWN_USAGES = [
  'signing', 'digital signature', 'content commitment', 'key encipherment', 'key agreement', 'data encipherment', 'cert sign', 'crl sign',
  'encipher only', 'decipher only', 'any', 'server auth', 'client auth', 'code signing', 'email protection', 's/mime', 'ipsec end system',
  'ipsec tunnel', 'ipsec user', 'timestamping', 'ocsp signing', 'microsoft sgc', 'netscape sgc',
] as const;

const CONDITION_STATUSES = ['True', 'False', 'Unknown'];
const SIGNER_FORMAT = "must be a fully qualified domain and path of the form 'example.com/signer-name'";

/** %#v of a []byte, which upstream's error shows for a bad request. */
function goBytes(b: Buffer): GoSyntax {
  return new GoSyntax(`[]byte{${[...b].map((x) => `0x${x.toString(16)}`).join(', ')}}`);
}

function requestBytes(v: unknown): Buffer {
  return Buffer.from(str(v), 'base64');
}

export function validateSignerName(path: string, signerName: string): FieldError[] {
  if (!signerName) return [required(path, '')];
  const slash = signerName.indexOf('/');
  if (slash <= 0 || slash === signerName.length - 1) return [invalid(path, signerName, SIGNER_FORMAT)];
  const domain = signerName.slice(0, slash);
  const errs: FieldError[] = [];
  for (const msg of isDNS1123Subdomain(domain)) errs.push(invalid(path, signerName, `validating ${JSON.stringify(domain)}: ${msg}`));
  if (!domain.includes('.')) errs.push(invalid(path, signerName, SIGNER_FORMAT));
  return errs;
}

function validateSpec(spec: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const req = requestBytes(spec.request);
  if (req.length === 0) errs.push(required('spec.request', ''));
  else {
    try {
      parseCsrPem(req.toString('latin1'));
    } catch (err) {
      if (!(err instanceof CsrParseError)) throw err;
      errs.push(invalid('spec.request', goBytes(req), err.message));
    }
  }
  const usages = asArray(spec.usages).map(str);
  if (usages.length === 0) errs.push(required('spec.usages', 'usages must be provided'));
  const seen = new Set<string>();
  usages.forEach((u, i) => {
    if (!(KNOWN_USAGES as readonly string[]).includes(u)) errs.push(notSupported(`spec.usages[${i}]`, u, KNOWN_USAGES));
    if (seen.has(u)) errs.push(duplicate(`spec.usages[${i}]`, u));
    seen.add(u);
  });
  errs.push(...validateSignerName('spec.signerName', str(spec.signerName)));
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds !== null && Number(spec.expirationSeconds) < 600) {
    errs.push(invalid('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration less than 600 seconds (10 minutes)'));
  }
  return errs;
}

function conditionTypes(obj: KubeObject | undefined): string[] {
  return asArray(asRecord(obj?.status)?.conditions).map((c) => str(asRecord(c)?.type));
}

function validateStatus(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const status = asRecord(obj.status) ?? {};
  const seen = new Set<string>();
  asArray(status.conditions).forEach((raw, i) => {
    const c = asRecord(raw) ?? {};
    const type = str(c.type);
    const p = `status.conditions[${i}]`;
    if (!type) errs.push(required(`${p}.type`, ''));
    const s = str(c.status);
    if (!s) errs.push(required(`${p}.status`, ''));
    else if (!CONDITION_STATUSES.includes(s)) errs.push(notSupported(`${p}.status`, s, CONDITION_STATUSES));
    if (['Approved', 'Denied', 'Failed'].includes(type)) {
      if (seen.has(type)) errs.push(duplicate(`${p}.type`, type));
      else if (s && s !== 'True') errs.push(notSupported(`${p}.status`, s, ['True']));
    }
    seen.add(type);
  });
  if (seen.has('Approved') && seen.has('Denied')) errs.push(invalid('status.conditions', new GoSyntax('[]certificates.CertificateSigningRequestCondition{...}'), 'Approved and Denied conditions are mutually exclusive'));
  if (old) {
    const now = new Set(conditionTypes(obj));
    for (const t of ['Approved', 'Denied', 'Failed']) {
      if (conditionTypes(old).includes(t) && !now.has(t)) errs.push(forbidden('status.conditions', `updates may not remove a condition of type ${JSON.stringify(t)}`));
    }
  }
  const cert = str(status.certificate);
  const oldCert = str(asRecord(old?.status)?.certificate);
  if (oldCert && cert !== oldCert) errs.push(invalid('status.certificate', '<certificate data>', 'updates may not modify existing certificate content'));
  else if (cert && cert !== oldCert) {
    const pem = Buffer.from(cert, 'base64').toString('latin1');
    if (!/-----BEGIN CERTIFICATE-----/.test(pem)) errs.push(invalid('status.certificate', '<certificate data>', 'must contain at least one CERTIFICATE PEM block'));
    if (seen.has('Denied') || seen.has('Failed')) errs.push(forbidden('status.certificate', 'updates may not set certificate content on a Denied or Failed request'));
    else if (!seen.has('Approved')) errs.push(forbidden('status.certificate', 'updates may not set certificate content on a request that is not Approved'));
  }
  return errs;
}

export function validateCertificateSigningRequest(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = asRecord(obj.spec) ?? {};
  // The spec is immutable (the strategies restore it on every update), so it is checked once, at create.
  const errs = old ? [] : validateSpec(spec);
  errs.push(...validateStatus(obj, old));
  return errs;
}
