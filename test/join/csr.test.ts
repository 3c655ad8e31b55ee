import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createEcCsr, CsrParseError, parseCsrPem } from '../../src/pki/csr.js';
import { parseCsr } from '../../src/pki/x509.js';

test('PKCS#10 written with node:crypto reads the same with our parser, @peculiar/x509 and OpenSSL', async () => {
  const { csrPem, keyPem } = await createEcCsr({ commonName: 'system:node:n1', organizations: ['system:nodes'] });
  const ours = parseCsrPem(csrPem);
  assert.equal(ours.commonName, 'system:node:n1');
  assert.deepEqual(ours.organizations, ['system:nodes']);
  assert.equal(ours.keyType, 'ec');
  assert.deepEqual((await parseCsr(csrPem)).subject, { commonName: 'system:node:n1', organizations: ['system:nodes'] });
  assert.match(execFileSync('openssl', ['req', '-noout', '-subject'], { input: csrPem, encoding: 'utf8' }), /O = system:nodes, CN = system:node:n1/);
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----/);
});

test('the parser refuses other PEM blocks and requests whose signature does not verify, with upstream\'s messages', async () => {
  assert.throws(() => parseCsrPem('hello'), (e: unknown) => e instanceof CsrParseError && e.message === 'PEM block type must be CERTIFICATE REQUEST');
  const { csrPem } = await createEcCsr({ commonName: 'a' });
  const der = Buffer.from(csrPem.split('\n').filter((l) => l && !l.startsWith('-----')).join(''), 'base64');
  // The last byte is inside the signature.
  der[der.length - 1] ^= 0xff;
  const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
  assert.throws(() => parseCsrPem(tampered), (e: unknown) => e instanceof CsrParseError && /verification failure/.test(e.message));
  const openssl = execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=rsa/O=x/O=y'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const rsa = parseCsrPem(openssl);
  assert.equal(rsa.keyType, 'rsa');
  assert.deepEqual(rsa.organizations, ['x', 'y']);
});
