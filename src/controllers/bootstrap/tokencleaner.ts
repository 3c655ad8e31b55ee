import type { KubeObject } from '../../api/types.js';
import { isConflict, isNotFound } from '../../client/status.js';
import { BOOTSTRAP_TOKEN_SECRET_TYPE } from '../../auth/authn/bootstrap-token.js';
import { KeyWorker } from '../shared/worker.js';
import { SECRETS } from '../core-resources.js';
import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';

// Upstream's tokencleaner: a bootstrap-token Secret in kube-system whose
// `expiration` has passed (or cannot be read as RFC 3339, which upstream
// treats as expired) is deleted, with its UID as precondition so a Secret
// made again under the same name is left alone; one not yet expired is
// looked at again when it expires.

export const TOKEN_NAMESPACE = 'kube-system';

/** Milliseconds until the Secret's token expires: 0 when it has, undefined when it never does. */
export function tokenTtl(secret: KubeObject, nowMs = Date.now()): number | undefined {
  const raw = ((secret.data ?? {}) as Record<string, string>).expiration;
  if (raw === undefined || raw === '') return undefined;
  const text = Buffer.from(raw, 'base64').toString('utf8');
  if (!text) return undefined;
  const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(t)) return 0;
  return Math.max(0, t - nowMs);
}

export async function startTokenCleaner(ctx: ControllerContext): Promise<RunningController> {
  const secrets = ctx.informers.informerFor(SECRETS, { namespace: TOKEN_NAMESPACE, fieldSelector: `type=${BOOTSTRAP_TOKEN_SECRET_TYPE}` });
  const worker: KeyWorker = new KeyWorker({
    name: 'tokencleaner',
    workers: 1,
    async sync(name) {
      const s = secrets.store.getByName(TOKEN_NAMESPACE, name);
      if (!s || s.type !== BOOTSTRAP_TOKEN_SECRET_TYPE) return;
      const ttl = tokenTtl(s);
      if (ttl === undefined) return;
      if (ttl > 0) {
        worker.addAfter(name, ttl + 100);
        return;
      }
      try {
        await ctx.client.delete(SECRETS, TOKEN_NAMESPACE, name, { preconditions: { uid: s.metadata.uid } });
        worker.log.info({ secret: `${TOKEN_NAMESPACE}/${name}` }, 'deleted expired bootstrap token');
      } catch (err) {
        // Gone already, or another Secret under the name now (the UID precondition failed).
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    },
  });
  const enqueue = (s: KubeObject) => worker.add(s.metadata.name!);
  const reg = secrets.addEventHandler({ onAdd: enqueue, onUpdate: (_o, s) => enqueue(s) });
  worker.run([secrets]);
  return {
    async stop() {
      reg.remove();
      await worker.stop();
    },
  };
}

export const tokenCleanerController: ControllerDescriptor = { name: 'tokencleaner', start: startTokenCleaner };
