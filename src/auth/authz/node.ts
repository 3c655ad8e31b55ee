import type { KubeObject } from '../../api/types.js';
import { nodeNameOf, type UserInfo } from '../user.js';
import type { CacheHandler } from '../informer.js';
import { podRefs } from '../pod-refs.js';
import { compileRule, rulesAllow } from './rules.js';
import { NODE_RULES } from './bootstrap-policy.js';
import type { Decision, RequestAttributes, RulesResult } from './types.js';

const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const DENY = (reason: string): Decision => ({ allowed: false, reason });
const ALLOW: Decision = { allowed: true, reason: '' };
const NO_OPINION: Decision = { allowed: false, reason: '' };

type VertexType = 'pod' | 'secret' | 'configmap' | 'pvc' | 'pv' | 'serviceaccount';

function fieldRequirements(selector: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (selector ?? '').split(',')) {
    const m = /^\s*([^!=\s]+)\s*==?\s*([^\s]*)\s*$/.exec(part);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/**
 * Upstream's Node authorizer: a kubelet (system:node:NAME in system:nodes)
 * reaches a Secret, ConfigMap, PVC, PV or ServiceAccount only through a pod
 * bound to it, reads only its own Node and pods, and for everything else gets
 * the fixed system:node rules. The graph is kept current from pod and PVC
 * watches, so a decision is a couple of map lookups.
 */
export class NodeAuthorizer {
  private readonly rules = NODE_RULES.map(compileRule);
  /** node → "type:ns/name" → number of pods on the node that reach it. */
  private readonly reach = new Map<string, Map<string, number>>();
  private readonly pods = new Map<string, { node: string; refs: string[] }>();
  private readonly pvcVolume = new Map<string, string>();
  private readonly pvClaims = new Map<string, Set<string>>();

  readonly podHandler: CacheHandler = {
    upsert: (o) => this.setPod(o),
    remove: (o) => this.dropPod(`${o.metadata.namespace}/${o.metadata.name}`),
  };

  readonly pvcHandler: CacheHandler = {
    upsert: (o) => {
      const key = `${o.metadata.namespace}/${o.metadata.name}`;
      this.dropPvc(key);
      const vol = (o.spec as { volumeName?: string } | undefined)?.volumeName;
      if (vol) {
        this.pvcVolume.set(key, vol);
        let set = this.pvClaims.get(vol);
        if (!set) this.pvClaims.set(vol, (set = new Set()));
        set.add(key);
      }
    },
    remove: (o) => this.dropPvc(`${o.metadata.namespace}/${o.metadata.name}`),
  };

  private dropPvc(key: string): void {
    const vol = this.pvcVolume.get(key);
    if (!vol) return;
    this.pvcVolume.delete(key);
    const set = this.pvClaims.get(vol);
    set?.delete(key);
    if (set?.size === 0) this.pvClaims.delete(vol);
  }

  private setPod(pod: KubeObject): void {
    const ns = pod.metadata.namespace ?? '';
    const key = `${ns}/${pod.metadata.name}`;
    this.dropPod(key);
    const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    if (!node) return;
    const r = podRefs(pod);
    const refs = [`pod:${key}`];
    for (const s of r.secrets) refs.push(`secret:${ns}/${s}`);
    for (const c of r.configMaps) refs.push(`configmap:${ns}/${c}`);
    for (const c of r.pvcs) refs.push(`pvc:${ns}/${c}`);
    if (r.serviceAccount) refs.push(`serviceaccount:${ns}/${r.serviceAccount}`);
    let m = this.reach.get(node);
    if (!m) this.reach.set(node, (m = new Map()));
    for (const ref of refs) m.set(ref, (m.get(ref) ?? 0) + 1);
    this.pods.set(key, { node, refs });
  }

  private dropPod(key: string): void {
    const entry = this.pods.get(key);
    if (!entry) return;
    this.pods.delete(key);
    const m = this.reach.get(entry.node);
    if (!m) return;
    for (const ref of entry.refs) {
      const n = (m.get(ref) ?? 0) - 1;
      if (n <= 0) m.delete(ref);
      else m.set(ref, n);
    }
    if (m.size === 0) this.reach.delete(entry.node);
  }

  private related(node: string, type: VertexType, namespace: string, name: string): boolean {
    const m = this.reach.get(node);
    if (!m) return false;
    if (type === 'pv') {
      for (const pvc of this.pvClaims.get(name) ?? []) if (m.has(`pvc:${pvc}`)) return true;
      return false;
    }
    return m.has(`${type}:${namespace}/${name}`);
  }

  private byGraph(node: string, type: VertexType, a: RequestAttributes): Decision {
    if (!a.name) return DENY('No Object name found');
    if (this.related(node, type, a.namespace ?? '', a.name)) return ALLOW;
    return DENY(`no relationship found between node '${node}' and this object`);
  }

  /** undefined: not a node, this authorizer has no opinion. */
  authorize(a: RequestAttributes): Decision | undefined {
    const node = nodeNameOf(a.user);
    if (node === undefined) {
      if (a.user.username.startsWith('system:node:') && a.user.groups.includes('system:nodes')) return DENY(`unknown node for user ${JSON.stringify(a.user.username)}`);
      return undefined;
    }
    if (a.resourceRequest) {
      const group = a.apiGroup ?? '';
      const sub = a.subresource ?? '';
      const verb = a.verb;
      if (group === '') {
        switch (a.resource) {
          case 'secrets':
          case 'configmaps':
            if (verb !== 'get' && verb !== 'list' && verb !== 'watch') return DENY('can only read resources of this type');
            if (sub) return DENY('cannot read subresource');
            if (!a.namespace) return DENY('can only read namespaced object of this type');
            return this.byGraph(node, a.resource === 'secrets' ? 'secret' : 'configmap', a);
          case 'persistentvolumeclaims':
            if (sub === 'status') {
              if (verb !== 'update' && verb !== 'patch' && verb !== 'get') return DENY('can only get/update/patch this type');
              return this.byGraph(node, 'pvc', a);
            }
            if (verb !== 'get') return DENY('can only get individual resources of this type');
            if (sub) return DENY('cannot get subresource');
            return this.byGraph(node, 'pvc', a);
          case 'persistentvolumes':
            if (verb !== 'get') return DENY('can only get individual resources of this type');
            if (sub) return DENY('cannot get subresource');
            return this.byGraph(node, 'pv', a);
          case 'serviceaccounts':
            if (verb !== 'create' || !a.name) return DENY('can only create tokens for individual service accounts');
            if (sub !== 'token') return DENY('can only create token subresource of serviceaccount');
            return this.byGraph(node, 'serviceaccount', a);
          case 'nodes':
            return this.authorizeNode(node, a);
          case 'pods':
            return this.authorizePod(node, a);
        }
      } else if (group === 'coordination.k8s.io' && a.resource === 'leases') {
        if (!['get', 'create', 'update', 'patch', 'delete'].includes(verb)) return DENY('can only get, create, update, patch, or delete a node lease');
        if (a.namespace !== NODE_LEASE_NAMESPACE) return DENY(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
        if (verb !== 'create' && a.name !== node) return DENY('can only access node lease with the same name as the requesting node');
        return ALLOW;
      } else if (group === 'storage.k8s.io' && a.resource === 'csinodes') {
        if (!['get', 'create', 'update', 'patch', 'delete'].includes(verb)) return DENY('can only get, create, update, patch, or delete a CSINode');
        if (sub) return DENY('cannot authorize CSINode subresources');
        if (verb !== 'create' && a.name !== node) return DENY('can only access CSINode with the same name as the requesting node');
        return ALLOW;
      }
    }
    return rulesAllow(a, this.rules) ? ALLOW : NO_OPINION;
  }

  // Upstream's authorizeNode / authorizePod (AuthorizeNodeWithSelectors, on by
  // default since 1.32): whatever they do not allow is "no opinion" without
  // falling back to the static node rules, so e.g. a kubelet cannot GET
  // pods/status or nodes/status; NodeRestriction admission narrows the writes.
  private authorizeNode(node: string, a: RequestAttributes): Decision {
    const sub = a.subresource ?? '';
    if (sub === '') {
      switch (a.verb) {
        case 'create':
        case 'update':
        case 'patch':
          return ALLOW;
        case 'get':
        case 'list':
        case 'watch': {
          // The name alone (a list/watch names it through metadata.name), so a kubelet may read its Node before creating it.
          const name = a.name || fieldRequirements(a.fieldSelector).get('metadata.name') || '';
          if (name === node) return ALLOW;
          if (!name) return DENY(`node '${node}' cannot read all nodes, only its own Node object`);
          return DENY(`node '${node}' cannot read '${name}', only its own Node object`);
        }
      }
    } else if (sub === 'status' && (a.verb === 'update' || a.verb === 'patch')) {
      return ALLOW;
    }
    return NO_OPINION;
  }

  private authorizePod(node: string, a: RequestAttributes): Decision {
    const sub = a.subresource ?? '';
    const verb = a.verb;
    if (sub === '') {
      switch (verb) {
        case 'get':
          return this.byGraph(node, 'pod', a);
        case 'list':
        case 'watch': {
          if (fieldRequirements(a.fieldSelector).get('spec.nodeName') === node) return ALLOW;
          // A read of a single pod known to be on this node.
          const name = a.name || fieldRequirements(a.fieldSelector).get('metadata.name');
          if (name) return this.byGraph(node, 'pod', { ...a, name });
          return DENY('can only list/watch pods with spec.nodeName field selector');
        }
        case 'create':
        case 'delete':
          // Mirror pods; NodeRestriction admission limits them to the node's own.
          return ALLOW;
      }
    } else if (sub === 'status') {
      // Status of the pods it runs; NodeRestriction limits it to pods bound to this node.
      if (verb === 'update' || verb === 'patch') return ALLOW;
    } else if (sub === 'eviction') {
      if (verb === 'create') return ALLOW;
    }
    return NO_OPINION;
  }

  /** Upstream does not enumerate a node's permissions. */
  rulesFor(user: UserInfo): RulesResult | undefined {
    if (!user.username.startsWith('system:node:') || !user.groups.includes('system:nodes')) return undefined;
    return { resourceRules: [], nonResourceRules: [], incomplete: true, evaluationError: 'node authorizer does not support user rule resolution' };
  }
}
