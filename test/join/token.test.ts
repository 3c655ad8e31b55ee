import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { caCertHash, formatJoinToken, JoinTokenError, parseJoinToken, randomTokenPart } from '../../src/join/token.js';
import { detachedSignature, verifyDetachedSignature } from '../../src/join/jws.js';
import { createCa } from '../../src/pki/x509.js';

test('join token: K10<sha256 of the CA DER>::id.secret round-trips; malformed tokens get a typed error', async () => {
  const ca = await createCa('test-ca', 1);
  const hash = caCertHash(ca.certPem);
  assert.equal(hash, createHash('sha256').update(new X509Certificate(ca.certPem).raw).digest('hex'));
  const token = formatJoinToken(ca.certPem, 'abcdef', '0123456789abcdef');
  assert.equal(token, `K10${hash}::abcdef.0123456789abcdef`);
  assert.deepEqual(parseJoinToken(token + '\n'), { caHash: hash, tokenId: 'abcdef', tokenSecret: '0123456789abcdef' });
  for (const bad of ['', 'abcdef.0123456789abcdef', `K10${hash}abcdef.0123456789abcdef`, `K10${hash.slice(2)}::abcdef.0123456789abcdef`, `K10${hash}::ABCDEF.0123456789abcdef`, `K10${hash}::abcdef.short`]) {
    assert.throws(() => parseJoinToken(bad), JoinTokenError, bad);
  }
  assert.match(randomTokenPart(16), /^[a-z0-9]{16}$/);
});

test('detached JWS: verifies for the signing token only', () => {
  const sig = detachedSignature('content', 'abcdef', '0123456789abcdef');
  assert.match(sig, /^[\w-]+\.\.[\w-]+$/);
  assert.equal(JSON.parse(Buffer.from(sig.split('.')[0]!, 'base64url').toString()).kid, 'abcdef');
  assert.ok(verifyDetachedSignature('content', sig, 'abcdef', '0123456789abcdef'));
  assert.ok(!verifyDetachedSignature('content', sig, 'abcdef', 'xxxxxxxxxxxxxxxx'));
  assert.ok(!verifyDetachedSignature('other', sig, 'abcdef', '0123456789abcdef'));
});
