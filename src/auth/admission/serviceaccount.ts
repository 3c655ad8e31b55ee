import { resourceFor } from '../../api/scheme/resources.js';
import { StatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import type { AdmissionAttributes, AdmissionContext } from './types.js';
import { admissionForbidden, isPod } from './types.js';

const serviceaccounts = resourceFor('', 'v1', 'serviceaccounts')!;
export const SA_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
/** Upstream's expirationSeconds for the projected token: one hour plus a little skew. */
const TOKEN_EXPIRATION_SECONDS = 3607;
const SUFFIX_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

type Obj = Record<string, any>;

function suffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += SUFFIX_CHARS[Math.floor(Math.random() * SUFFIX_CHARS.length)];
  return s;
}

/** The projected volume upstream mounts in place of the old token Secret. */
export function apiAccessVolume(name: string): Obj {
  return {
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
        { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

async function lookupServiceAccount(ctx: AdmissionContext, namespace: string, name: string): Promise<KubeObject | undefined> {
  // The cache may not have seen an account created a moment ago: a miss reads storage.
  const cached = await ctx.get?.(serviceaccounts, namespace, name);
  if (cached) return cached;
  // A namespace created a moment ago may not have its default ServiceAccount yet; upstream waits briefly for it too.
  const attempts = name === 'default' ? 10 : 1;
  for (let i = 0; i < attempts; i++) {
    try {
      return await ctx.registry.storeFor(serviceaccounts).get(namespace, name);
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
      if (i + 1 < attempts) await new Promise((r) => setTimeout(r, 50));
    }
  }
  return undefined;
}

/**
 * ServiceAccount admission: every pod runs as a ServiceAccount that exists
 * ("default" unless named), inherits its imagePullSecrets, and gets the
 * kube-api-access-XXXXX projected volume (token, ca.crt, namespace) mounted
 * in each container, unless automounting is turned off.
 */
export async function admitServiceAccount(a: AdmissionAttributes, obj: KubeObject | undefined, _old: KubeObject | undefined, ctx: AdmissionContext): Promise<void> {
  if (!isPod(a) || a.subresource || a.operation !== 'CREATE' || !obj || !a.namespace) return;
  const spec = (obj.spec ??= {}) as Obj;
  if (obj.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) {
    if (spec.serviceAccountName) throw admissionForbidden(a, 'a mirror pod may not reference service accounts');
    for (const v of spec.volumes ?? []) {
      if (v?.projected) throw admissionForbidden(a, `a mirror pod may not use projected volume sources: volume ${JSON.stringify(v.name)}`);
    }
    return;
  }
  if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
  const saName = spec.serviceAccountName as string;
  const sa = await lookupServiceAccount(ctx, a.namespace, saName);
  if (!sa) throw admissionForbidden(a, `error looking up service account ${a.namespace}/${saName}: serviceaccount "${saName}" not found`);

  if (!spec.imagePullSecrets?.length && Array.isArray(sa.imagePullSecrets) && sa.imagePullSecrets.length) {
    spec.imagePullSecrets = (sa.imagePullSecrets as Obj[]).map((s) => ({ name: s.name }));
  }

  const automount = spec.automountServiceAccountToken ?? (sa.automountServiceAccountToken as boolean | undefined) ?? true;
  if (!automount) return;
  const containers: Obj[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  const needsMount = containers.filter((c) => !(c.volumeMounts ?? []).some((m: Obj) => m?.mountPath === SA_MOUNT_PATH));
  if (needsMount.length === 0) return;
  const volumes: Obj[] = (spec.volumes ??= []);
  let volumeName = volumes.find((v) => typeof v?.name === 'string' && v.name.startsWith('kube-api-access-') && v.projected)?.name as string | undefined;
  if (!volumeName) {
    do volumeName = `kube-api-access-${suffix()}`;
    while (volumes.some((v) => v?.name === volumeName));
    volumes.push(apiAccessVolume(volumeName));
  }
  for (const c of needsMount) (c.volumeMounts ??= []).push({ name: volumeName, readOnly: true, mountPath: SA_MOUNT_PATH });
}
