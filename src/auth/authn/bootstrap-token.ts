import { timingSafeEqual } from 'node:crypto';
import { resourceFor } from '../../api/scheme/resources.js';
import { StatusError } from '../../api/errors.js';
import type { Registry } from '../../apiserver/handlers/context.js';
import { BOOTSTRAPPERS, type UserInfo } from '../user.js';
import { logger } from '../../util/log.js';

const log = logger('auth');
const secrets = resourceFor('', 'v1', 'secrets')!;
const TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const EXTRA_GROUP_RE = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;
export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';

function field(data: Record<string, string> | undefined, key: string): string {
  const v = data?.[key];
  return v === undefined ? '' : Buffer.from(v, 'base64').toString('utf8');
}

function sameString(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/**
 * Bootstrap tokens (ID.SECRET) backed by kube-system Secrets named
 * bootstrap-token-ID, as upstream's bootstrap authenticator: anything wrong
 * with the Secret means "not authenticated by me", never a distinct error.
 */
export async function authenticateBootstrapToken(registry: Registry, token: string, now = new Date()): Promise<UserInfo | null> {
  const m = TOKEN_RE.exec(token);
  if (!m) return null;
  const [, id, secret] = m as unknown as [string, string, string];
  let obj;
  try {
    obj = await registry.storeFor(secrets).get('kube-system', `bootstrap-token-${id}`);
  } catch (err) {
    if (err instanceof StatusError && err.code === 404) return null;
    throw err;
  }
  const data = obj.data as Record<string, string> | undefined;
  const reject = (why: string) => {
    log.debug({ tokenId: id }, `bootstrap token rejected: ${why}`);
    return null;
  };
  if (obj.metadata.deletionTimestamp) return reject('secret is being deleted');
  if (obj.type !== BOOTSTRAP_TOKEN_SECRET_TYPE) return reject(`secret has type ${String(obj.type)}`);
  if (!sameString(field(data, 'token-secret'), secret)) return reject('secret mismatch');
  if (field(data, 'token-id') !== id) return reject('token id mismatch');
  const exp = field(data, 'expiration');
  if (exp) {
    const t = Date.parse(exp);
    if (Number.isNaN(t) || t < now.getTime()) return reject('expired');
  }
  if (field(data, 'usage-bootstrap-authentication') !== 'true') return reject('not usable for authentication');
  const extra = field(data, 'auth-extra-groups');
  const groups = extra ? extra.split(',').map((g) => g.trim()).filter(Boolean) : [];
  for (const g of groups) if (!EXTRA_GROUP_RE.test(g)) return reject(`invalid extra group ${g}`);
  return { username: `system:bootstrap:${id}`, groups: [BOOTSTRAPPERS, ...groups] };
}
