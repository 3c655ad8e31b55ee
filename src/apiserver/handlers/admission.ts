import { StatusError, notFound } from '../../api/errors.js';
import { resourceFor } from '../../api/scheme/resources.js';
import type { Registry, RequestContext } from './context.js';
import type { KubeObject } from '../../api/types.js';
import type { AdmissionAttributes, Operation } from '../../auth/admission/index.js';
import { checkEscalation } from '../../auth/authz/escalation.js';
import { admitCertificates } from '../../auth/admission/certificates.js';

const namespaces = resourceFor('', 'v1', 'namespaces')!;
const IMMORTAL = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/**
 * Namespaces seen through a watch, so admitting a create costs a map lookup
 * instead of a storage read. A namespace missing from the cache is looked up
 * live (it may have been created a moment ago), as upstream's lifecycle
 * plugin does with its informer.
 */
class NamespaceCache {
  private readonly known = new Map<string, KubeObject>();
  private synced = false;

  constructor(private readonly registry: Registry) {
    this.start();
  }

  private start(): void {
    this.registry
      .storeFor(namespaces)
      .watch(
        {},
        (type, obj) => {
          if (type === 'BOOKMARK') return;
          if (type === 'DELETED') this.known.delete(obj.metadata.name!);
          else this.known.set(obj.metadata.name!, obj);
        },
        () => {
          this.synced = false;
          this.known.clear();
          setTimeout(() => this.start(), 1000).unref();
        },
      )
      .then(
        () => (this.synced = true),
        () => setTimeout(() => this.start(), 1000).unref(),
      );
  }

  async get(name: string): Promise<KubeObject> {
    const hit = this.synced ? this.known.get(name) : undefined;
    return hit ?? this.registry.storeFor(namespaces).get(undefined, name);
  }
}

const caches = new WeakMap<Registry, NamespaceCache>();

function namespaceCache(registry: Registry): NamespaceCache {
  let c = caches.get(registry);
  if (!c) {
    c = new NamespaceCache(registry);
    caches.set(registry, c);
  }
  return c;
}

/**
 * NamespaceLifecycle: nothing is created in a namespace that does not exist
 * or is being deleted, and the system namespaces cannot be deleted.
 */
export async function admitNamespaceLifecycle(ctx: RequestContext, name: string | undefined): Promise<void> {
  const { info, rr } = ctx;
  if (rr.verb === 'delete' && info.group === '' && info.resource === 'namespaces' && rr.name && IMMORTAL.has(rr.name)) {
    throw new StatusError(403, 'Forbidden', `namespaces "${rr.name}" is forbidden: this namespace may not be deleted`, { name: rr.name, kind: 'namespaces' });
  }
  if (rr.verb !== 'create' || !info.namespaced || !rr.namespace) return;
  let ns;
  try {
    ns = await namespaceCache(ctx.registry).get(rr.namespace);
  } catch (err) {
    if (err instanceof StatusError && err.code === 404) throw notFound({ group: '', resource: 'namespaces' }, rr.namespace);
    throw err;
  }
  if ((ns.status as { phase?: string } | undefined)?.phase === 'Terminating' || ns.metadata.deletionTimestamp) {
    const what = info.group ? `${info.resource}.${info.group}` : info.resource;
    throw new StatusError(403, 'Forbidden', `${what} "${name ?? ''}" is forbidden: unable to create new content in namespace ${rr.namespace} because it is being terminated`, {
      name,
      kind: info.resource,
      causes: [{ reason: 'NamespaceTerminating', message: `namespace ${rr.namespace} is being terminated`, field: 'metadata.namespace' }],
    });
  }
}

/** Upstream's admission attributes for this request. */
function attributesFor(ctx: RequestContext, operation: Operation, name: string | undefined): AdmissionAttributes {
  return {
    operation,
    group: ctx.info.group,
    version: ctx.info.version,
    resource: ctx.info.resource,
    subresource: ctx.rr.subresource,
    kind: ctx.info.kind,
    namespace: ctx.info.namespaced ? ctx.rr.namespace : undefined,
    name,
    user: ctx.user,
    dryRun: ctx.dryRun,
  };
}

/** Mutating admission (ServiceAccount, LimitRanger defaults, DefaultTolerationSeconds) before defaulting and validation. */
export async function admitMutating(ctx: RequestContext, operation: Operation, obj: KubeObject, old: KubeObject | undefined): Promise<void> {
  if (!ctx.admission) return;
  await ctx.admission.mutate(attributesFor(ctx, operation, obj.metadata.name ?? old?.metadata.name), obj, old);
}

/** The validating phase, handed to the store so it runs on the final object just before it is written. */
export function validatingAdmission(ctx: RequestContext, operation: Operation): ((obj: KubeObject, old: KubeObject | undefined) => Promise<void>) | undefined {
  const sec = ctx.security;
  const admission = ctx.admission;
  if (!admission) return undefined;
  const rbacWrite = ctx.info.group === 'rbac.authorization.k8s.io' && (operation === 'CREATE' || operation === 'UPDATE') && !ctx.rr.subresource;
  return async (obj, old) => {
    const isDelete = operation === 'DELETE';
    // Both ask the authorizer about the requester: the insecure port's requests skip authorization.
    if (sec && rbacWrite && sec.authz.rbacRules) {
      checkEscalation({ authz: sec.authz, resolver: sec.authz.rbacRules, user: ctx.user, resource: ctx.info.resource, namespace: ctx.rr.namespace ?? '', obj, old });
    }
    if (sec && ctx.info.group === 'certificates.k8s.io') admitCertificates(sec.authz, attributesFor(ctx, operation, obj.metadata.name), isDelete ? undefined : obj, isDelete ? obj : old);
    const warnings = await admission.validate(attributesFor(ctx, operation, obj.metadata.name), isDelete ? undefined : obj, isDelete ? obj : old);
    ctx.warnings.push(...warnings);
  };
}
