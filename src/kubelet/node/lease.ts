import { nowMicroTime } from '../../api/types.js';
import type { KubeObject } from '../../api/types.js';
import { isConflict, isNotFound } from '../../client/status.js';
import type { NodeAgentContext } from '../context.js';

// The node's heartbeat as upstream's nodelease controller: a Lease named
// after the node in kube-node-lease, owned by the Node, its renewTime moved
// forward every renew interval. Updates reuse the cached object so a renew
// is one PUT; a conflict or a missing lease falls back to GET/create.

const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true };
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string };
}

export class NodeLease {
  private lease?: Lease;
  private busy = false;

  constructor(
    /** Only the identity, client and log: the hollow nodes' Lease worker has no runtime or recorder. */
    private readonly ctx: Pick<NodeAgentContext, 'nodeName' | 'client' | 'log'>,
    private readonly durationSeconds: number,
    private readonly nodeUID: () => string | undefined,
  ) {}

  private owner(): KubeObject['metadata']['ownerReferences'] {
    const uid = this.nodeUID();
    return uid ? [{ apiVersion: 'v1', kind: 'Node', name: this.ctx.nodeName, uid }] : undefined;
  }

  private desired(base?: Lease): Lease {
    const owners = base?.metadata.ownerReferences?.length ? base.metadata.ownerReferences : this.owner();
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      ...base,
      metadata: { ...base?.metadata, name: this.ctx.nodeName, namespace: NODE_LEASE_NAMESPACE, ...(owners ? { ownerReferences: owners } : {}) },
      spec: { ...base?.spec, holderIdentity: this.ctx.nodeName, leaseDurationSeconds: this.durationSeconds, renewTime: nowMicroTime() },
    };
  }

  /** The resourceVersion of the Lease as last written, if known. */
  get resourceVersion(): string | undefined {
    return this.lease?.metadata.resourceVersion;
  }

  /**
   * Continues from a Lease this node wrote at resourceVersion rv, without
   * having kept it: the next renewal is the same single PUT (a conflict
   * falls back to GET as usual).
   */
  seed(rv: string): void {
    const owners = this.owner();
    this.lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.ctx.nodeName, namespace: NODE_LEASE_NAMESPACE, resourceVersion: rv, ...(owners ? { ownerReferences: owners } : {}) }, spec: {} };
  }

  /** Called every renew interval; never throws. */
  async renew(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.renewOnce();
    } catch (err) {
      this.lease = undefined;
      this.ctx.log.warn({ node: this.ctx.nodeName, err: (err as Error).message }, 'failed to update lease');
    } finally {
      this.busy = false;
    }
  }

  private async renewOnce(): Promise<void> {
    const c = this.ctx.client;
    if (this.lease) {
      try {
        this.lease = withoutManagedFields(await c.update<Lease>(LEASES, NODE_LEASE_NAMESPACE, this.desired(this.lease)));
        return;
      } catch (err) {
        if (!isConflict(err) && !isNotFound(err)) throw err;
      }
    }
    let current: Lease | undefined;
    try {
      current = await c.get<Lease>(LEASES, NODE_LEASE_NAMESPACE, this.ctx.nodeName);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.lease = withoutManagedFields(current ? await c.update<Lease>(LEASES, NODE_LEASE_NAMESPACE, this.desired(current)) : await c.create<Lease>(LEASES, NODE_LEASE_NAMESPACE, this.desired()));
  }
}

/**
 * The body of the PUT a NodeLease seeded with resourceVersion rv sends
 * (seed, then renew), as JSON text built without the object: the hollow
 * fleet's Lease worker renews a thousand Leases a second this way. The same
 * members in the same order as desired() gives them (tested).
 */
export function leaseRenewalBody(nodeName: string, rv: string, ownerUid: string | undefined, durationSeconds: number, renewTime: string): string {
  const name = JSON.stringify(nodeName);
  const owners = ownerUid ? `,"ownerReferences":[{"apiVersion":"v1","kind":"Node","name":${name},"uid":${JSON.stringify(ownerUid)}}]` : '';
  return `{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":${name},"namespace":"${NODE_LEASE_NAMESPACE}","resourceVersion":${JSON.stringify(rv)}${owners}},"spec":{"holderIdentity":${name},"leaseDurationSeconds":${JSON.stringify(durationSeconds)},"renewTime":${JSON.stringify(renewTime)}}}`;
}

/**
 * The cached Lease only feeds the next PUT, which may leave managedFields
 * out (the server keeps them); a node among thousands then holds a few
 * hundred bytes instead of its field-ownership tree.
 */
function withoutManagedFields(l: Lease): Lease {
  if (!l.metadata.managedFields) return l;
  const { managedFields: _drop, ...metadata } = l.metadata;
  return { ...l, metadata };
}
