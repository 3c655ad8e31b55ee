import { chmod, mkdir } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { inspectCert, signedBy } from './inspect.js';

/** The certificate maker, loaded on first use (see inspect.ts); it runs in a worker thread (maker.ts). */
const maker = () => import('./maker.js');
import { logger } from '../util/log.js';
import { readOptional, writeFileAtomic } from '../util/files.js';

const log = logger('auth');

export interface ClusterPki {
  caCertPem: string;
  caKeyPem: string;
  servingCertPem: string;
  servingKeyPem: string;
  adminCertPem: string;
  adminKeyPem: string;
  saSigningKeyPem: string;
  saPublicKeyPem: string;
}

export interface PkiOptions {
  hostnames: string[];
  ips: string[];
  /** First IP of the service range: the address of the kubernetes Service. */
  serviceIP?: string;
}

const CA_DAYS = 3650;
const LEAF_DAYS = 365;
const RENEW_BEFORE_MS = 30 * 86_400_000;
export const DEFAULT_SERVICE_IP = '10.0.0.1';
export const ADMIN_SUBJECT = { commonName: 'kubernetes-admin', organizations: ['system:masters'] };

const FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  servingCert: 'apiserver.crt',
  servingKey: 'apiserver.key',
  adminCert: 'admin.crt',
  adminKey: 'admin.key',
  saKey: 'sa.key',
  saPub: 'sa.pub',
} as const;

function normalizeIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

function expiresSoon(certPem: string, now = Date.now()): boolean {
  try {
    return inspectCert(certPem).notAfter.getTime() - now < RENEW_BEFORE_MS;
  } catch {
    return true;
  }
}

/** The serving certificate's names: loopback, this host, the in-cluster names of the kubernetes Service. */
export function servingNames(opts: PkiOptions): { dnsNames: string[]; ips: string[] } {
  const dns = new Set<string>(['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local']);
  const host = hostname();
  if (host) dns.add(host.toLowerCase());
  for (const h of opts.hostnames) if (h) dns.add(h.toLowerCase());
  const ips = new Set<string>(['127.0.0.1', '::1', opts.serviceIP ?? DEFAULT_SERVICE_IP]);
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (!a.address.startsWith('fe80')) ips.add(a.address);
  }
  for (const ip of opts.ips) if (isIP(ip)) ips.add(ip);
  return { dnsNames: [...dns], ips: [...ips].map(normalizeIp) };
}

function coversNames(certPem: string, want: { dnsNames: string[]; ips: string[] }): boolean {
  try {
    const facts = inspectCert(certPem);
    const haveDns = new Set(facts.dnsNames);
    const haveIps = new Set(facts.ips.map(normalizeIp));
    return want.dnsNames.every((d) => haveDns.has(d)) && want.ips.every((ip) => haveIps.has(ip));
  } catch {
    return false;
  }
}

/**
 * Creates DIR/pki on first start and reuses it later. A certificate within
 * 30 days of expiry, or no longer signed by the current CA, is reissued;
 * a renewed CA reissues everything it signed. The service account key is
 * never rotated here: that would invalidate every token in the cluster.
 */
export async function ensureClusterPki(dataDir: string, opts: PkiOptions): Promise<ClusterPki> {
  const dir = join(dataDir, 'pki');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const p = (f: string) => join(dir, f);
  const loaded = Object.fromEntries(
    await Promise.all(Object.entries(FILES).map(async ([k, f]) => [k, await readOptional(p(f))] as const)),
  ) as Record<keyof typeof FILES, string | undefined>;

  let caCert = loaded.caCert;
  let caKey = loaded.caKey;
  if (!caCert || !caKey || expiresSoon(caCert)) {
    log.info({ dir }, caCert ? 'renewing cluster CA' : 'creating cluster CA');
    const ca = await (await maker()).createCa('k8ts-ca', CA_DAYS);
    caCert = ca.certPem;
    caKey = ca.keyPem;
    await writeFileAtomic(p(FILES.caKey), caKey, 0o600);
    await writeFileAtomic(p(FILES.caCert), caCert, 0o644);
  }
  const ca = { certPem: caCert, keyPem: caKey };

  const needsLeaf = async (cert: string | undefined, key: string | undefined): Promise<boolean> =>
    !cert || !key || expiresSoon(cert) || !(await signedBy(cert, caCert));

  const names = servingNames(opts);
  let servingCert = loaded.servingCert;
  let servingKey = loaded.servingKey;
  if ((await needsLeaf(servingCert, servingKey)) || !coversNames(servingCert!, names)) {
    log.info({ dns: names.dnsNames, ips: names.ips }, 'issuing API server serving certificate');
    const leaf = await (await maker()).issueLeaf(ca, { subject: { commonName: 'kube-apiserver' }, days: LEAF_DAYS, usages: ['server'], ...names });
    servingCert = leaf.certPem;
    servingKey = leaf.keyPem;
    await writeFileAtomic(p(FILES.servingKey), servingKey, 0o600);
    await writeFileAtomic(p(FILES.servingCert), servingCert, 0o644);
  }

  let adminCert = loaded.adminCert;
  let adminKey = loaded.adminKey;
  if (await needsLeaf(adminCert, adminKey)) {
    log.info('issuing admin client certificate');
    const leaf = await (await maker()).issueLeaf(ca, { subject: ADMIN_SUBJECT, days: LEAF_DAYS, usages: ['client'] });
    adminCert = leaf.certPem;
    adminKey = leaf.keyPem;
    await writeFileAtomic(p(FILES.adminKey), adminKey, 0o600);
    await writeFileAtomic(p(FILES.adminCert), adminCert, 0o644);
  }

  let saKey = loaded.saKey;
  let saPub = loaded.saPub;
  if (!saKey || !saPub) {
    log.info('creating service account signing key');
    const kp = await (await maker()).generateRsaKeyPairPem();
    saKey = kp.privateKeyPem;
    saPub = kp.publicKeyPem;
    await writeFileAtomic(p(FILES.saKey), saKey, 0o600);
    await writeFileAtomic(p(FILES.saPub), saPub, 0o644);
  }

  // Keys written by an older build or copied by hand: never leave them readable by others.
  await Promise.all([FILES.caKey, FILES.servingKey, FILES.adminKey, FILES.saKey].map((f) => chmod(p(f), 0o600)));

  return {
    caCertPem: caCert,
    caKeyPem: caKey,
    servingCertPem: servingCert!,
    servingKeyPem: servingKey!,
    adminCertPem: adminCert!,
    adminKeyPem: adminKey!,
    saSigningKeyPem: saKey,
    saPublicKeyPem: saPub,
  };
}

function issuerOf(pki: ClusterPki) {
  return { certPem: pki.caCertPem, keyPem: pki.caKeyPem };
}

export async function issueClientCert(pki: ClusterPki, subject: { commonName: string; organizations: string[] }, days = LEAF_DAYS): Promise<{ certPem: string; keyPem: string }> {
  return (await maker()).issueLeaf(issuerOf(pki), { subject, days, usages: ['client'] });
}

/** Serving certificates for other servers of the cluster (kubelets). */
export async function issueServingCert(pki: ClusterPki, opts: { commonName: string; hostnames: string[]; ips: string[]; organizations?: string[] }): Promise<{ certPem: string; keyPem: string }> {
  return (await maker()).issueLeaf(issuerOf(pki), {
    subject: { commonName: opts.commonName, organizations: opts.organizations },
    days: LEAF_DAYS,
    usages: ['server'],
    dnsNames: opts.hostnames,
    ips: opts.ips.map(normalizeIp),
  });
}

/**
 * Signs a PKCS#10 request as upstream's certificates.k8s.io signers do: the
 * subject and SANs come from the request, the usages from the CSR object.
 */
export async function signCsr(pki: ClusterPki, csrPem: string, opts: { usages: string[]; days: number }): Promise<string> {
  return signCsrWith(issuerOf(pki), csrPem, opts);
}

/** signCsr with any issuer (the controller manager's --cluster-signing-cert-file/--cluster-signing-key-file) and, optionally, an exact validity. */
export async function signCsrWith(issuer: { certPem: string; keyPem: string }, csrPem: string, opts: { usages: string[]; days?: number; notBefore?: Date; notAfter?: Date }): Promise<string> {
  const usages: ('client' | 'server')[] = [];
  if (opts.usages.includes('client auth')) usages.push('client');
  if (opts.usages.includes('server auth')) usages.push('server');
  return (await maker()).signCsrPem(issuer, csrPem, {
    days: opts.days ?? LEAF_DAYS,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    usages,
    keyEncipherment: opts.usages.includes('key encipherment'),
  });
}

/**
 * Options for node:https.createServer: a client certificate is requested but
 * not required, so bearer tokens and anonymous requests still get through;
 * the authenticator reads socket.authorized to trust the certificate.
 */
export function serverTlsOptions(pki: ClusterPki): TlsOptions & SecureContextOptions {
  return {
    cert: pki.servingCertPem,
    key: pki.servingKeyPem,
    ca: pki.caCertPem,
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
    ALPNProtocols: ['http/1.1'],
  };
}
