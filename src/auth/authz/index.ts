import { resourceFor } from '../../api/scheme/resources.js';
import type { KubeObject } from '../../api/types.js';
import type { Registry } from '../../apiserver/handlers/context.js';
import { SYSTEM_MASTERS, type UserInfo } from '../user.js';
import { WatchCache, type CacheHandler } from '../informer.js';
import { RbacAuthorizer } from './rbac.js';
import { NodeAuthorizer } from './node.js';
import { aggregateClusterRoles, clusterRoleBindingsInfo, clusterRolesInfo, roleBindingsInfo, rolesInfo } from './reconcile.js';
import type { Authorizer, Decision, RequestAttributes, RulesResult } from './types.js';
import { logger } from '../../util/log.js';

export type { Authorizer, Decision, RequestAttributes, RulesResult, ResourceRuleInfo, NonResourceRuleInfo } from './types.js';
export { forbiddenMessage, forbiddenError } from './forbidden.js';
export { reconcileBootstrapPolicy } from './reconcile.js';
export { checkEscalation } from './escalation.js';

const log = logger('auth');
const ALLOW_PRIVILEGED: Decision = { allowed: true, reason: '' };

export interface AuthorizerOptions {
  /** Run the ClusterRole aggregation controller on every ClusterRole change (default true). */
  aggregate?: boolean;
}

function both(a: CacheHandler, b: CacheHandler): CacheHandler {
  return {
    upsert: (o, old) => {
      a.upsert(o, old);
      b.upsert(o, old);
    },
    remove: (o) => {
      a.remove(o);
      b.remove(o);
    },
  };
}

/**
 * The chain of --authorization-mode=Node,RBAC behind upstream's privileged
 * group check: system:masters is allowed outright, then the Node authorizer,
 * then RBAC. Every decision is synchronous over caches that watches keep
 * current, so a change to a binding applies to the next request.
 */
export async function createAuthorizer(registry: Registry, opts: AuthorizerOptions = {}): Promise<Authorizer & { close(): void; rbac: RbacAuthorizer; node: NodeAuthorizer }> {
  const rbac = new RbacAuthorizer();
  const node = new NodeAuthorizer();
  let closed = false;
  let aggregating: Promise<void> | undefined;
  let again = false;
  let started = false;
  const clusterRoleCache: { items?: Map<string, KubeObject> } = {};

  const scheduleAggregation = () => {
    if (!started || closed || opts.aggregate === false) return;
    if (aggregating) {
      again = true;
      return;
    }
    aggregating = (async () => {
      do {
        again = false;
        await new Promise((r) => setImmediate(r));
        if (closed) return;
        try {
          const byName = new Map<string, KubeObject>();
          for (const o of clusterRoleCache.items?.values() ?? []) byName.set(o.metadata.name!, o);
          await aggregateClusterRoles(registry, byName);
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'ClusterRole aggregation failed');
        }
      } while (again && !closed);
    })().finally(() => {
      aggregating = undefined;
    });
  };

  const aggregationTrigger: CacheHandler = {
    upsert: (o, old) => {
      // Only a change that can alter some aggregate's input is worth a pass.
      if (!old || JSON.stringify(old.rules) !== JSON.stringify(o.rules) || JSON.stringify(old.metadata.labels) !== JSON.stringify(o.metadata.labels) || JSON.stringify(old.aggregationRule) !== JSON.stringify(o.aggregationRule)) scheduleAggregation();
    },
    remove: () => scheduleAggregation(),
  };

  const crCache = new WatchCache(registry.storeFor(clusterRolesInfo), both(rbac.clusterRoleHandler, aggregationTrigger), 'clusterroles');
  clusterRoleCache.items = crCache.items;
  const caches = [
    crCache,
    new WatchCache(registry.storeFor(rolesInfo), rbac.roleHandler, 'roles'),
    new WatchCache(registry.storeFor(clusterRoleBindingsInfo), rbac.clusterRoleBindingHandler, 'clusterrolebindings'),
    new WatchCache(registry.storeFor(roleBindingsInfo), rbac.roleBindingHandler, 'rolebindings'),
    new WatchCache(registry.storeFor(resourceFor('', 'v1', 'pods')!), node.podHandler, 'pods', 'name'),
    new WatchCache(registry.storeFor(resourceFor('', 'v1', 'persistentvolumeclaims')!), node.pvcHandler, 'persistentvolumeclaims', 'name'),
  ];
  try {
    await Promise.all(caches.map((c) => c.start()));
  } catch (err) {
    for (const c of caches) c.stop();
    throw err;
  }
  started = true;
  scheduleAggregation();

  return {
    rbac,
    node,
    rbacRules: { rulesFor: (user, namespace) => rbac.ownRules(user, namespace), roleRefRules: (kind, name, namespace) => rbac.roleRefRules(kind, name, namespace) },
    authorize(a: RequestAttributes): Decision {
      if (a.user.groups.includes(SYSTEM_MASTERS)) return ALLOW_PRIVILEGED;
      const n = node.authorize(a);
      if (n?.allowed) return n;
      const r = rbac.authorize(a);
      if (r.allowed) return r;
      const reasons = [n?.reason, r.reason].filter((x): x is string => !!x);
      return { allowed: false, reason: reasons.join('\n') };
    },
    rulesFor(user: UserInfo, namespace: string): RulesResult {
      const r = rbac.rulesFor(user, namespace);
      const n = node.rulesFor(user);
      if (!n) return r;
      // utilerrors.NewAggregate over the resolvers' errors: one alone, several in brackets.
      const errors = [n.evaluationError, r.evaluationError].filter((e): e is string => !!e);
      return { resourceRules: r.resourceRules, nonResourceRules: r.nonResourceRules, incomplete: true, evaluationError: errors.length === 1 ? errors[0] : `[${errors.join(', ')}]` };
    },
    close() {
      closed = true;
      for (const c of caches) c.stop();
    },
  };
}
