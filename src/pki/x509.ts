import './reflect-shim.js';
import { webcrypto, createPrivateKey, randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Certificate plumbing on top of @peculiar/x509. Every key is ECDSA P-256:
// Go's crypto/tls (kubectl) and OpenSSL (Node) both accept it and it is two
// orders of magnitude cheaper to generate than RSA.

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const subtle = webcrypto.subtle;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface KeyPairPem {
  privateKeyPem: string;
  publicKeyPem: string;
}

export interface SubjectName {
  commonName: string;
  organizations?: string[];
}

export interface LeafOptions {
  subject: SubjectName;
  days: number;
  usages: ('client' | 'server')[];
  dnsNames?: string[];
  ips?: string[];
  /** Issue for this key instead of a fresh one (CSR signing). */
  publicKey?: CryptoKey | x509.PublicKey;
  /** Extra key usages beyond digitalSignature (keyEncipherment for RSA CSRs). */
  keyEncipherment?: boolean;
  /** Exact validity, overriding `days` (the CSR signer's policy). */
  notBefore?: Date;
  notAfter?: Date;
}

export interface Issuer {
  certPem: string;
  keyPem: string;
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

async function generateEcKeys(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function exportPrivatePem(key: CryptoKey): Promise<string> {
  return toPem(await subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function importSigningKey(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return subtle.importKey('pkcs8', der, EC, false, ['sign']);
}

/** A serial number as Go's crypto/rand would pick: positive, 128 bits. */
function serial(): string {
  const b = randomBytes(16);
  b[0]! &= 0x7f;
  if (b[0] === 0) b[0] = 1;
  return b.toString('hex');
}

/** Go's pkix.Name order in the encoded subject: O before CN. */
function nameOf(s: SubjectName): x509.JsonName {
  const rdns: x509.JsonName = [];
  for (const o of s.organizations ?? []) rdns.push({ O: [o] });
  rdns.push({ CN: [s.commonName] });
  return rdns;
}

/** Backdated a little so a client whose clock lags is not refused a fresh certificate. */
function validity(days: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - 5 * 60_000), notAfter: new Date(now + days * DAY_MS) };
}

export async function createCa(commonName: string, days: number): Promise<Issuer> {
  const keys = await generateEcKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: nameOf({ commonName }),
    ...validity(days),
    keys,
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportPrivatePem(keys.privateKey) };
}

/** Issues a leaf certificate signed by `ca`; returns a fresh private key unless opts.publicKey was given. */
export async function issueLeaf(ca: Issuer, opts: LeafOptions): Promise<{ certPem: string; keyPem: string }> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const signingKey = await importSigningKey(ca.keyPem);
  let keys: CryptoKeyPair | undefined;
  let publicKey: CryptoKey | x509.PublicKey;
  if (opts.publicKey) publicKey = opts.publicKey;
  else {
    keys = await generateEcKeys();
    publicKey = keys.publicKey;
  }
  const ekus: string[] = [];
  if (opts.usages.includes('server')) ekus.push(x509.ExtendedKeyUsage.serverAuth);
  if (opts.usages.includes('client')) ekus.push(x509.ExtendedKeyUsage.clientAuth);
  let ku = x509.KeyUsageFlags.digitalSignature;
  if (opts.keyEncipherment) ku |= x509.KeyUsageFlags.keyEncipherment;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(ku, true),
    new x509.ExtendedKeyUsageExtension(ekus, false),
    await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
  ];
  const sans = [...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })), ...(opts.ips ?? []).map((value) => ({ type: 'ip' as const, value }))];
  if (sans.length) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: nameOf(opts.subject),
    issuer: caCert.subjectName,
    ...(opts.notBefore && opts.notAfter ? { notBefore: opts.notBefore, notAfter: opts.notAfter } : validity(opts.days)),
    publicKey,
    signingKey,
    signingAlgorithm: SIGN,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: keys ? await exportPrivatePem(keys.privateKey) : '' };
}

export { inspectCert, signedBy, type CertFacts } from './inspect.js';

export async function parseCsr(csrPem: string): Promise<{ subject: SubjectName; publicKey: x509.PublicKey; dnsNames: string[]; ips: string[]; rsa: boolean }> {
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  if (!(await csr.verify())) throw new Error('the CSR signature is invalid');
  const dnsNames: string[] = [];
  const ips: string[] = [];
  const san = csr.extensions.find((e): e is x509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension);
  for (const n of san?.names.items ?? []) {
    if (n.type === 'dns') dnsNames.push(n.value);
    else if (n.type === 'ip') ips.push(n.value);
  }
  return {
    subject: { commonName: csr.subjectName.getField('CN')[0] ?? '', organizations: csr.subjectName.getField('O') },
    publicKey: csr.publicKey,
    dnsNames,
    ips,
    rsa: csr.publicKey.algorithm.name.startsWith('RSA'),
  };
}

export async function generateRsaKeyPairPem(): Promise<KeyPairPem> {
  const { generateKeyPair } = await import('node:crypto');
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } },
      (err, publicKeyPem, privateKeyPem) => (err ? reject(err) : resolve({ publicKeyPem, privateKeyPem })),
    );
  });
}

/**
 * Signs a PKCS#10 request (parsed and verified here) with `issuer`: the subject and SANs come from the
 * request. One call, so that the parsed key never has to leave the module that made it (see maker.ts).
 */
export async function signCsrPem(issuer: Issuer, csrPem: string, opts: { usages: ('client' | 'server')[]; days: number; notBefore?: Date; notAfter?: Date; keyEncipherment?: boolean }): Promise<string> {
  const csr = await parseCsr(csrPem);
  const leaf = await issueLeaf(issuer, { ...opts, subject: csr.subject, dnsNames: csr.dnsNames, ips: csr.ips, publicKey: csr.publicKey });
  return leaf.certPem;
}
