import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { ensureClusterPki, issueClientCert, issueServingCert, signCsr } from '../../src/pki/index.js';
import { createCa, inspectCert, issueLeaf } from '../../src/pki/x509.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-pki-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const OPTS = { hostnames: ['api.example.test'], ips: ['192.0.2.10'], serviceIP: '10.0.0.1' };

test('first start writes the PKI with private keys readable only by the owner', async () => {
  await withDir(async (dir) => {
    const pki = await ensureClusterPki(dir, OPTS);
    assert.equal((await stat(join(dir, 'pki'))).mode & 0o777, 0o700);
    for (const f of ['ca.key', 'apiserver.key', 'admin.key', 'sa.key']) {
      assert.equal((await stat(join(dir, 'pki', f))).mode & 0o777, 0o600, f);
    }
    for (const f of ['ca.crt', 'apiserver.crt', 'admin.crt', 'sa.pub']) {
      assert.equal((await stat(join(dir, 'pki', f))).mode & 0o077 & 0o022, 0, `${f} not writable by others`);
    }
    assert.equal(await readFile(join(dir, 'pki', 'ca.crt'), 'utf8'), pki.caCertPem);
    const ca = new X509Certificate(pki.caCertPem);
    assert.ok(ca.ca);
    const caDays = (Date.parse(ca.validTo) - Date.now()) / 86_400_000;
    assert.ok(caDays > 3640 && caDays < 3660, `CA valid ~10 years, got ${caDays}`);
    const admin = new X509Certificate(pki.adminCertPem);
    assert.ok(admin.verify(ca.publicKey));
    assert.match(admin.subject, /CN=kubernetes-admin/);
    assert.match(admin.subject, /O=system:masters/);
    const leafDays = (Date.parse(admin.validTo) - Date.now()) / 86_400_000;
    assert.ok(leafDays > 360 && leafDays < 370, `leaf valid ~1 year, got ${leafDays}`);
    assert.match(pki.saSigningKeyPem, /BEGIN PRIVATE KEY/);
    assert.match(pki.saPublicKeyPem, /BEGIN PUBLIC KEY/);
  });
});

test('serving certificate names loopback, the host and the kubernetes Service', async () => {
  await withDir(async (dir) => {
    const pki = await ensureClusterPki(dir, OPTS);
    const facts = inspectCert(pki.servingCertPem);
    for (const d of ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'api.example.test']) {
      assert.ok(facts.dnsNames.includes(d), d);
    }
    for (const ip of ['127.0.0.1', '10.0.0.1', '192.0.2.10']) assert.ok(facts.ips.includes(ip), ip);
    assert.ok(facts.ips.some((ip) => ip === '::1' || ip === '0:0:0:0:0:0:0:1'), 'IPv6 loopback');
    const x = new X509Certificate(pki.servingCertPem);
    assert.ok(x.checkHost('kubernetes.default.svc'));
    assert.ok(x.checkIP('127.0.0.1'));
    assert.ok(x.checkIP('::1'));
  });
});

test('later starts reuse the files; a new host name reissues only the serving certificate', async () => {
  await withDir(async (dir) => {
    const a = await ensureClusterPki(dir, OPTS);
    const b = await ensureClusterPki(dir, OPTS);
    assert.deepEqual(b, a);
    const c = await ensureClusterPki(dir, { ...OPTS, hostnames: [...OPTS.hostnames, 'other.example.test'] });
    assert.equal(c.caCertPem, a.caCertPem);
    assert.equal(c.adminCertPem, a.adminCertPem);
    assert.notEqual(c.servingCertPem, a.servingCertPem);
    assert.ok(inspectCert(c.servingCertPem).dnsNames.includes('other.example.test'));
  });
});

test('a certificate within 30 days of expiry is renewed', async () => {
  await withDir(async (dir) => {
    const a = await ensureClusterPki(dir, OPTS);
    const short = await issueLeaf({ certPem: a.caCertPem, keyPem: a.caKeyPem }, { subject: { commonName: 'kubernetes-admin', organizations: ['system:masters'] }, days: 10, usages: ['client'] });
    await writeFile(join(dir, 'pki', 'admin.crt'), short.certPem);
    await writeFile(join(dir, 'pki', 'admin.key'), short.keyPem);
    const b = await ensureClusterPki(dir, OPTS);
    assert.notEqual(b.adminCertPem, short.certPem);
    assert.ok(inspectCert(b.adminCertPem).notAfter.getTime() - Date.now() > 300 * 86_400_000);
    assert.equal(b.caCertPem, a.caCertPem);
    assert.equal(b.servingCertPem, a.servingCertPem);
  });
});

test('an expiring CA is replaced and everything it signed is reissued; the SA key stays', async () => {
  await withDir(async (dir) => {
    const a = await ensureClusterPki(dir, OPTS);
    const oldCa = await createCa('k8ts-ca', 5);
    await writeFile(join(dir, 'pki', 'ca.crt'), oldCa.certPem);
    await writeFile(join(dir, 'pki', 'ca.key'), oldCa.keyPem);
    const b = await ensureClusterPki(dir, OPTS);
    assert.notEqual(b.caCertPem, oldCa.certPem);
    const ca = new X509Certificate(b.caCertPem);
    assert.ok(new X509Certificate(b.servingCertPem).verify(ca.publicKey));
    assert.ok(new X509Certificate(b.adminCertPem).verify(ca.publicKey));
    assert.equal(b.saSigningKeyPem, a.saSigningKeyPem);
    assert.equal((await stat(join(dir, 'pki', 'ca.key'))).mode & 0o777, 0o600);
  });
});

test('client, serving and CSR-signed certificates chain to the cluster CA', async () => {
  await withDir(async (dir) => {
    const pki = await ensureClusterPki(dir, OPTS);
    const ca = new X509Certificate(pki.caCertPem);
    const client = await issueClientCert(pki, { commonName: 'system:node:n1', organizations: ['system:nodes'] });
    const cx = new X509Certificate(client.certPem);
    assert.ok(cx.verify(ca.publicKey));
    assert.match(cx.subject, /CN=system:node:n1/);
    assert.match(cx.subject, /O=system:nodes/);
    const serving = await issueServingCert(pki, { commonName: 'n1', hostnames: ['n1'], ips: ['127.0.0.1'] });
    assert.ok(new X509Certificate(serving.certPem).checkHost('n1'));

    // A CSR as kubelets send one, made with openssl-free WebCrypto through @peculiar/x509.
    const x509 = await import('@peculiar/x509');
    const { webcrypto } = await import('node:crypto');
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as { publicKey: unknown; privateKey: unknown };
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'O=system:nodes, CN=system:node:n2',
      keys: keys as never,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    const signed = await signCsr(pki, csr.toString('pem'), { usages: ['digital signature', 'client auth'], days: 30 });
    const sx = new X509Certificate(signed);
    assert.ok(sx.verify(ca.publicKey));
    assert.match(sx.subject, /CN=system:node:n2/);
    const days = (Date.parse(sx.validTo) - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days < 31);
  });
});
