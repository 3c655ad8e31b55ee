import { X509Certificate } from 'node:crypto';

// Reading certificates needs only node:crypto; the heavier @peculiar/x509 is
// loaded just when a certificate must be made, so a server restarting with
// valid certificates never pays for it.

export interface CertFacts {
  notAfter: Date;
  commonName: string;
  organizations: string[];
  dnsNames: string[];
  ips: string[];
  issuer: string;
}

function fields(dn: string, key: string): string[] {
  return dn
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
}

/** What the renewal logic and the tests need to know about a certificate. */
export function inspectCert(pem: string): CertFacts {
  const cert = new X509Certificate(pem);
  const dnsNames: string[] = [];
  const ips: string[] = [];
  for (const part of (cert.subjectAltName ?? '').split(', ')) {
    if (part.startsWith('DNS:')) dnsNames.push(part.slice(4));
    else if (part.startsWith('IP Address:')) ips.push(part.slice(11));
  }
  return {
    notAfter: new Date(cert.validTo),
    commonName: fields(cert.subject, 'CN')[0] ?? '',
    organizations: fields(cert.subject, 'O'),
    dnsNames,
    ips,
    issuer: cert.issuer.split('\n').join(', '),
  };
}

/** True when `certPem` carries a valid signature by the CA (a renewed CA invalidates its old leaves). */
export async function signedBy(certPem: string, caCertPem: string): Promise<boolean> {
  try {
    return new X509Certificate(certPem).verify(new X509Certificate(caCertPem).publicKey);
  } catch {
    return false;
  }
}
