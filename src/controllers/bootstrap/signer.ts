import type { KubeObject } from '../../api/types.js';
import { isConflict, isNotFound } from '../../client/status.js';
import { BOOTSTRAP_TOKEN_SECRET_TYPE } from '../../auth/authn/bootstrap-token.js';
import { CLUSTER_INFO_NAME, CLUSTER_INFO_NAMESPACE, JWS_PREFIX, KUBECONFIG_KEY } from '../../join/cluster-info.js';
import { detachedSignature } from '../../join/jws.js';
import { KeyWorker } from '../shared/worker.js';
import { CONFIGMAPS, SECRETS } from '../core-resources.js';
import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';

// Upstream's bootstrapsigner: the kube-public/cluster-info ConfigMap carries
// one detached JWS of its kubeconfig per bootstrap token that may sign
// (usage-bootstrap-signing, not expired), so a joining node that holds
// id.secret can tell the content came from a server that knows its token.
// Expired or deleted tokens lose their signature.

const decode = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '');

/** id → secret of every token allowed to sign now, and when the first of them expires. */
export function signingTokens(secrets: KubeObject[], nowMs = Date.now()): { tokens: Map<string, string>; nextExpiry?: number } {
  const tokens = new Map<string, string>();
  let nextExpiry: number | undefined;
  for (const s of secrets) {
    if (s.type !== BOOTSTRAP_TOKEN_SECRET_TYPE || s.metadata.deletionTimestamp) continue;
    const data = (s.data ?? {}) as Record<string, string>;
    const id = decode(data['token-id']);
    const secret = decode(data['token-secret']);
    if (s.metadata.name !== `bootstrap-token-${id}` || !/^[a-z0-9]{6}$/.test(id) || !/^[a-z0-9]{16}$/.test(secret)) continue;
    if (decode(data['usage-bootstrap-signing']) !== 'true') continue;
    const exp = decode(data.expiration);
    if (exp) {
      const t = Date.parse(exp);
      if (Number.isNaN(t) || t <= nowMs) continue;
      nextExpiry = nextExpiry === undefined ? t : Math.min(nextExpiry, t);
    }
    tokens.set(id, secret);
  }
  return { tokens, nextExpiry };
}

export async function startBootstrapSigner(ctx: ControllerContext): Promise<RunningController> {
  const configmaps = ctx.informers.informerFor(CONFIGMAPS, { namespace: CLUSTER_INFO_NAMESPACE, fieldSelector: `metadata.name=${CLUSTER_INFO_NAME}` });
  const secrets = ctx.informers.informerFor(SECRETS, { namespace: 'kube-system', fieldSelector: `type=${BOOTSTRAP_TOKEN_SECRET_TYPE}` });
  const key = `${CLUSTER_INFO_NAMESPACE}/${CLUSTER_INFO_NAME}`;
  const worker: KeyWorker = new KeyWorker({
    name: 'bootstrapsigner',
    workers: 1,
    async sync() {
      const cm = configmaps.store.getByName(CLUSTER_INFO_NAMESPACE, CLUSTER_INFO_NAME);
      if (!cm) return;
      const data = { ...((cm.data ?? {}) as Record<string, string>) };
      const content = data[KUBECONFIG_KEY];
      if (content === undefined) return;
      const { tokens, nextExpiry } = signingTokens(secrets.store.list());
      if (nextExpiry !== undefined) worker.addAfter(key, Math.max(0, nextExpiry - Date.now()) + 100);
      const want: Record<string, string> = {};
      for (const [k, v] of Object.entries(data)) if (!k.startsWith(JWS_PREFIX)) want[k] = v;
      for (const [id, secret] of tokens) want[`${JWS_PREFIX}${id}`] = detachedSignature(content, id, secret);
      if (JSON.stringify(Object.entries(want).sort()) === JSON.stringify(Object.entries(data).sort())) return;
      try {
        await ctx.client.update(CONFIGMAPS, CLUSTER_INFO_NAMESPACE, { ...cm, data: want });
        worker.log.info({ tokens: [...tokens.keys()] }, 'signed cluster-info');
      } catch (err) {
        if (isNotFound(err)) return;
        if (isConflict(err)) {
          worker.addAfter(key, 100);
          return;
        }
        throw err;
      }
    },
  });
  const enqueue = () => worker.add(key);
  const regs = [
    configmaps.addEventHandler({ onAdd: enqueue, onUpdate: enqueue, onDelete: enqueue }),
    secrets.addEventHandler({ onAdd: enqueue, onUpdate: enqueue, onDelete: enqueue }),
  ];
  worker.run([configmaps, secrets]);
  return {
    async stop() {
      for (const r of regs) r.remove();
      await worker.stop();
    },
  };
}

export const bootstrapSignerController: ControllerDescriptor = { name: 'bootstrapsigner', start: startBootstrapSigner };
