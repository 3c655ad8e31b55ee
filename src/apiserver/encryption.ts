import { RESOURCES } from '../api/scheme/resources.js';
import type { EncryptionTransformer } from '../auth/encryption.js';
import type { ValueTransformer } from '../storage/transform.js';

// --encryption-provider-config names resources as upstream does ("secrets",
// "deployments.apps"); storage sees keys. This maps one to the other and
// binds each value to its key (the key is the authenticated data).

export function encryptionAtRest(enc: EncryptionTransformer): ValueTransformer {
  const prefixes = [...new Map(RESOURCES.map((r) => [`${r.storagePrefix}/`, r.group && r.group !== 'events.k8s.io' ? `${r.resource}.${r.group}` : r.resource])).entries()]
    .map(([prefix, resource]) => ({ prefix, resource }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const resourceOf = (key: string): string | undefined => prefixes.find((p) => key.startsWith(p.prefix))?.resource;
  return {
    applies(key) {
      const r = resourceOf(key);
      return r !== undefined && enc.covers(r);
    },
    toStorage(key, value) {
      return enc.encrypt(resourceOf(key)!, value, key);
    },
    fromStorage(key, value) {
      return enc.decrypt(resourceOf(key)!, value, key);
    },
  };
}
