import { createPublicKey, verify as verifySignature } from 'node:crypto';

// Reading a PKCS#10 request with node:crypto and a few lines of DER, so the
// API server's validation (which runs synchronously on every CSR write) can
// parse and check it without loading the certificate maker.

export class CsrParseError extends Error {}

interface Tlv {
  tag: number;
  /** The whole element, header included. */
  raw: Buffer;
  body: Buffer;
}

function readTlv(buf: Buffer, at: number): Tlv & { end: number } {
  if (at + 2 > buf.length) throw new CsrParseError('asn1: truncated element');
  const tag = buf[at]!;
  let len = buf[at + 1]!;
  let off = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || off + n > buf.length) throw new CsrParseError('asn1: bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[off + i]!;
    off += n;
  }
  const end = off + len;
  if (end > buf.length) throw new CsrParseError('asn1: data truncated');
  return { tag, raw: buf.subarray(at, end), body: buf.subarray(off, end), end };
}

function children(body: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < body.length; ) {
    const t = readTlv(body, at);
    out.push(t);
    at = t.end;
  }
  return out;
}

function oid(body: Buffer): string {
  const parts = [Math.floor(body[0]! / 40), body[0]! % 40];
  let v = 0;
  for (const b of body.subarray(1)) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

const SIG_HASH: Record<string, string | null> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.3.101.112': null,
};

const CN = '2.5.4.3';
const O = '2.5.4.10';

export interface ParsedCsr {
  commonName: string;
  organizations: string[];
  /** SubjectPublicKeyInfo DER. */
  publicKeyDer: Buffer;
  keyType: string;
  /** subjectAltName entries: DNS names, IPs, emails, URIs (as Go's x509.CertificateRequest fields). */
  dnsNames: string[];
  ips: string[];
  emails: string[];
  uris: string[];
}

/** The DER of the first PEM block of type CERTIFICATE REQUEST; upstream's message when there is none. */
export function csrDerFromPem(pem: string): Buffer {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(pem);
  if (!m || m[1] !== 'CERTIFICATE REQUEST') throw new CsrParseError('PEM block type must be CERTIFICATE REQUEST');
  return Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64');
}

function ipFromBytes(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  const groups: string[] = [];
  for (let i = 0; i < b.length; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** Parses a PEM CSR and checks its self-signature, as Go's x509.ParseCertificateRequest + CheckSignature. */
export function parseCsrPem(pem: string): ParsedCsr {
  const der = csrDerFromPem(pem);
  const outer = readTlv(der, 0);
  if (outer.tag !== 0x30) throw new CsrParseError('x509: malformed certificate request');
  const [info, alg, sig] = children(outer.body);
  if (!info || !alg || !sig || sig.tag !== 0x03) throw new CsrParseError('x509: malformed certificate request');
  const [, subject, spki, attrs] = children(info.body);
  if (!subject || !spki) throw new CsrParseError('x509: malformed certificate request');
  const out: ParsedCsr = { commonName: '', organizations: [], publicKeyDer: Buffer.from(spki.raw), keyType: '', dnsNames: [], ips: [], emails: [], uris: [] };
  for (const rdn of children(subject.body)) {
    for (const atv of children(rdn.body)) {
      const [t, v] = children(atv.body);
      if (!t || !v) continue;
      const type = oid(t.body);
      if (type === CN) out.commonName = v.body.toString('utf8');
      else if (type === O) out.organizations.push(v.body.toString('utf8'));
    }
  }
  if (attrs && attrs.tag === 0xa0) {
    for (const attr of children(attrs.body)) {
      const [t, set] = children(attr.body);
      // extensionRequest (PKCS#9): the SANs travel here.
      if (!t || !set || oid(t.body) !== '1.2.840.113549.1.9.14') continue;
      for (const exts of children(set.body)) {
        for (const ext of children(exts.body)) {
          const parts = children(ext.body);
          if (!parts[0] || oid(parts[0].body) !== '2.5.29.17') continue;
          const value = parts[parts.length - 1]!;
          for (const name of children(readTlv(value.body, 0).body)) {
            const kind = name.tag & 0x1f;
            if (kind === 2) out.dnsNames.push(name.body.toString('ascii'));
            else if (kind === 7) out.ips.push(ipFromBytes(name.body));
            else if (kind === 1) out.emails.push(name.body.toString('ascii'));
            else if (kind === 6) out.uris.push(name.body.toString('ascii'));
          }
        }
      }
    }
  }
  let key;
  try {
    key = createPublicKey({ key: out.publicKeyDer, format: 'der', type: 'spki' });
  } catch {
    throw new CsrParseError('x509: unsupported public key');
  }
  out.keyType = key.asymmetricKeyType ?? '';
  const algOid = children(alg.body)[0];
  const hash = algOid ? SIG_HASH[oid(algOid.body)] : undefined;
  if (hash === undefined) throw new CsrParseError('x509: cannot verify signature: algorithm unimplemented');
  // BIT STRING: the first byte counts unused bits.
  const signature = sig.body.subarray(1);
  let ok = false;
  try {
    ok = verifySignature(hash, info.raw, key, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new CsrParseError(`x509: ${out.keyType === 'rsa' ? 'RSA' : 'ECDSA'} verification failure`);
  return out;
}

// Writing one: a P-256 key from node:crypto and a PKCS#10 request of a
// subject (O before CN, as Go's pkix.Name) with no attributes, so a joining
// agent does not load the certificate maker for its one request.

function der(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

const seq = (...parts: Buffer[]) => der(0x30, Buffer.concat(parts));
const OID_CN = Buffer.from([0x06, 0x03, 0x55, 0x04, 0x03]);
const OID_O = Buffer.from([0x06, 0x03, 0x55, 0x04, 0x0a]);
/** ecdsa-with-SHA256 */
const ECDSA_SHA256 = seq(Buffer.from([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]));

export async function createEcCsr(subject: { commonName: string; organizations?: string[] }): Promise<{ csrPem: string; keyPem: string }> {
  const { generateKeyPairSync, sign } = await import('node:crypto');
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rdn = (oid: Buffer, value: string) => der(0x31, seq(oid, der(0x0c, Buffer.from(value, 'utf8'))));
  const name = seq(...(subject.organizations ?? []).map((o) => rdn(OID_O, o)), rdn(OID_CN, subject.commonName));
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const info = seq(Buffer.from([0x02, 0x01, 0x00]), name, spki, Buffer.from([0xa0, 0x00]));
  const signature = sign('sha256', info, privateKey);
  const request = seq(info, ECDSA_SHA256, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const b64 = request.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return { csrPem: `-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n-----END CERTIFICATE REQUEST-----\n`, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
