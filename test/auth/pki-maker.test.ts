import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The certificate maker runs in a child process (src/pki/maker.ts): a server
// issues its certificates without @peculiar/x509 and its ASN.1 stack ever
// entering its heap, where they stayed for the process's life. Checked in a
// fresh process, which must also exit on its own afterwards (the idle helper
// does not hold the event loop).

const pkiIndex = fileURLToPath(new URL('../../src/pki/index.js', import.meta.url));

function run(body: string): { loaded: string[]; out: unknown } {
  const script = `
    import { createRequire } from 'node:module';
    import { mkdtempSync, rmSync } from 'node:fs';
    import { tmpdir } from 'node:os';
    import { join } from 'node:path';
    const pki = await import(${JSON.stringify(pkiIndex)});
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-pki-worker-'));
    let out;
    try { out = await (async () => { ${body} })(); } finally { rmSync(dir, { recursive: true, force: true }); }
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((f) => /node_modules\\/(@peculiar|asn1js|tsyringe)\\//.test(f));
    console.log(JSON.stringify({ loaded, out }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 })) as { loaded: string[]; out: unknown };
}

test('a first start issues the cluster PKI and client certificates in a child process: the parent process never loads @peculiar/x509, and exits when done', () => {
  const r = run(`
    const { X509Certificate } = await import('node:crypto');
    const cluster = await pki.ensureClusterPki(dir, { hostnames: ['api.example.test'], ips: ['192.0.2.10'], serviceIP: '10.0.0.1' });
    const client = await pki.issueClientCert(cluster, { commonName: 'system:kube-scheduler', organizations: [] });
    const serving = await pki.issueServingCert(cluster, { commonName: 'system:node:n1', hostnames: ['n1'], ips: ['192.0.2.11'], organizations: ['system:nodes'] });
    const ca = new X509Certificate(cluster.caCertPem);
    return [client, serving].map((c) => { const x = new X509Certificate(c.certPem); return { verified: x.verify(ca.publicKey), subject: x.subject, san: x.subjectAltName ?? '', key: c.keyPem.startsWith('-----BEGIN PRIVATE KEY-----') }; });`);
  assert.deepEqual(r.loaded, []);
  assert.deepEqual(r.out, [
    { verified: true, subject: 'CN=system:kube-scheduler', san: '', key: true },
    { verified: true, subject: 'O=system:nodes\nCN=system:node:n1', san: 'DNS:n1, IP Address:192.0.2.11', key: true },
  ]);
});

test('CSR signing in the child process: a request whose signature does not verify is refused with the maker error', () => {
  const r = run(`
    const cluster = await pki.ensureClusterPki(dir, { hostnames: [], ips: ['192.0.2.10'] });
    try { await pki.signCsr(cluster, '-----BEGIN CERTIFICATE REQUEST-----\\nMAA=\\n-----END CERTIFICATE REQUEST-----\\n', { usages: ['client auth'], days: 1 }); return 'signed'; }
    catch (err) { return { name: err.name, message: typeof err.message }; }`);
  assert.deepEqual(r.out, { name: 'CertificateMakerError', message: 'string' });
  assert.deepEqual(r.loaded, []);
});
