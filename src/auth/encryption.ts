import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { yaml } from '../util/yaml.js';

// Encryption of resources at rest, as upstream's --encryption-provider-config:
// the first provider of a resource's list encrypts, every provider may
// decrypt, and a stored value names its provider and key in a prefix
// ("k8s:enc:aesgcm:v1:key1:"). The sealed bytes follow the prefix in base64,
// because our stores hold text.

export interface EncryptionTransformer {
  encrypt(resource: string, plaintext: string, storageKey?: string): string;
  decrypt(resource: string, stored: string, storageKey?: string): string;
  /** True when values of this resource are written encrypted. */
  encrypts(resource: string): boolean;
  /** True when the configuration names this resource at all (its values may need decrypting). */
  covers(resource: string): boolean;
}

interface Provider {
  name: string;
  encrypt(plaintext: Buffer, aad: Buffer): string | undefined;
  /** undefined when the value is not this provider's. */
  decrypt(stored: string, aad: Buffer): Buffer | undefined;
}

interface KeyDef {
  name: string;
  secret: string;
}

function keyBytes(k: KeyDef, sizes: number[], provider: string): Buffer {
  if (!k?.name || !k.secret) throw new Error(`${provider}: every key needs a name and a secret`);
  const b = Buffer.from(k.secret, 'base64');
  if (!sizes.includes(b.length)) throw new Error(`${provider}: key ${k.name} must be ${sizes.join(', ')} bytes, got ${b.length}`);
  return b;
}

function aesgcm(keys: KeyDef[]): Provider {
  const ks = keys.map((k) => ({ name: k.name, key: keyBytes(k, [16, 24, 32], 'aesgcm'), prefix: `k8s:enc:aesgcm:v1:${k.name}:` }));
  if (!ks.length) throw new Error('aesgcm: at least one key is required');
  const algo = (key: Buffer) => `aes-${key.length * 8}-gcm` as 'aes-256-gcm';
  return {
    name: 'aesgcm',
    encrypt(plain, aad) {
      const k = ks[0]!;
      const nonce = randomBytes(12);
      const c = createCipheriv(algo(k.key), k.key, nonce);
      c.setAAD(aad);
      const body = Buffer.concat([c.update(plain), c.final()]);
      return k.prefix + Buffer.concat([nonce, body, c.getAuthTag()]).toString('base64');
    },
    decrypt(stored, aad) {
      const k = ks.find((x) => stored.startsWith(x.prefix));
      if (!k) return undefined;
      const raw = Buffer.from(stored.slice(k.prefix.length), 'base64');
      if (raw.length < 28) throw new Error('aesgcm: the stored data was shorter than the required size');
      const d = createDecipheriv(algo(k.key), k.key, raw.subarray(0, 12));
      d.setAAD(aad);
      d.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
    },
  };
}

function aescbc(keys: KeyDef[]): Provider {
  const ks = keys.map((k) => ({ name: k.name, key: keyBytes(k, [32], 'aescbc'), prefix: `k8s:enc:aescbc:v1:${k.name}:` }));
  if (!ks.length) throw new Error('aescbc: at least one key is required');
  return {
    name: 'aescbc',
    encrypt(plain) {
      const k = ks[0]!;
      const iv = randomBytes(16);
      const c = createCipheriv('aes-256-cbc', k.key, iv);
      return k.prefix + Buffer.concat([iv, c.update(plain), c.final()]).toString('base64');
    },
    decrypt(stored) {
      const k = ks.find((x) => stored.startsWith(x.prefix));
      if (!k) return undefined;
      const raw = Buffer.from(stored.slice(k.prefix.length), 'base64');
      const d = createDecipheriv('aes-256-cbc', k.key, raw.subarray(0, 16));
      return Buffer.concat([d.update(raw.subarray(16)), d.final()]);
    },
  };
}

const identity: Provider = {
  name: 'identity',
  encrypt: () => undefined,
  decrypt: (stored) => (stored.startsWith('k8s:enc:') ? undefined : Buffer.from(stored, 'utf8')),
};

function providerOf(def: Record<string, any>): Provider {
  if (def.aesgcm) return aesgcm(def.aesgcm.keys ?? []);
  if (def.aescbc) return aescbc(def.aescbc.keys ?? []);
  if (def.identity) return identity;
  const name = Object.keys(def)[0] ?? '(none)';
  throw new Error(`encryption provider ${name} is not supported (supported: aesgcm, aescbc, identity)`);
}

/** "secrets" and "deployments.apps" match themselves, "*.apps" a group, "*.*" everything. */
function matches(pattern: string, resource: string): boolean {
  if (pattern === '*.*') return true;
  if (pattern.startsWith('*.')) {
    const group = pattern.slice(2);
    const dot = resource.indexOf('.');
    return group === '' ? dot < 0 : dot >= 0 && resource.slice(dot + 1) === group;
  }
  return pattern === resource;
}

export function encryptionFromConfig(config: unknown): EncryptionTransformer {
  const c = config as { apiVersion?: string; kind?: string; resources?: { resources?: string[]; providers?: Record<string, any>[] }[] };
  if (c?.kind !== 'EncryptionConfiguration' || (c.apiVersion !== 'apiserver.config.k8s.io/v1' && c.apiVersion !== 'apiserver.config.k8s.io/v1beta1')) {
    throw new Error('encryption provider config must be an apiserver.config.k8s.io/v1 EncryptionConfiguration');
  }
  const entries = (c.resources ?? []).map((r) => {
    const providers = (r.providers ?? []).map(providerOf);
    if (!providers.length) throw new Error(`resources ${JSON.stringify(r.resources)}: at least one provider is required`);
    return { patterns: r.resources ?? [], providers };
  });
  const forResource = (resource: string) => entries.find((e) => e.patterns.some((p) => matches(p, resource)))?.providers;
  const aadOf = (key: string | undefined) => Buffer.from(key ?? '', 'utf8');
  return {
    covers(resource) {
      return forResource(resource) !== undefined;
    },
    encrypts(resource) {
      const ps = forResource(resource);
      return !!ps && ps[0]!.name !== 'identity';
    },
    encrypt(resource, plaintext, storageKey) {
      const ps = forResource(resource);
      if (!ps) return plaintext;
      return ps[0]!.encrypt(Buffer.from(plaintext, 'utf8'), aadOf(storageKey)) ?? plaintext;
    },
    decrypt(resource, stored, storageKey) {
      const ps = forResource(resource);
      if (!ps) {
        if (stored.startsWith('k8s:enc:')) throw new Error(`no encryption provider configured for ${resource} to read an encrypted value`);
        return stored;
      }
      for (const p of ps) {
        const out = p.decrypt(stored, aadOf(storageKey));
        if (out) return out.toString('utf8');
      }
      throw new Error(`no matching prefix found for ${resource} among providers ${ps.map((p) => p.name).join(', ')}`);
    },
  };
}

/** Reads --encryption-provider-config. */
export function loadEncryptionConfig(path: string): EncryptionTransformer {
  return encryptionFromConfig(yaml().parse(readFileSync(path, 'utf8')));
}
