import type { FilterPlugin, Handle, PreBindPlugin, PreFilterPlugin, ReservePlugin, VolumeAccess, VolumeBindingClaim, VolumeBindingVolume } from '../../framework/interface.js';
import type { CycleState, StateData } from '../../framework/cycle-state.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { Status, SUCCESS, SKIP } from '../../framework/status.js';
import { ASSIGNED_POD_DELETE, NODE_ADD, NODE_UPDATE, PV_ANY, PVC_ANY, STORAGECLASS_ANY, type ClusterEvent } from '../../queue/events.js';
import { claimClass, findBestMatch, volumeNodeAffinityMatches } from '../../../controllers/volume/match.js';
import { ANN_SELECTED_NODE, WAIT_FOR_FIRST_CONSUMER } from '../../../controllers/volume/types.js';

// Upstream's VolumeBinding plugin: a pod's bound claims limit it to nodes
// their volumes' node affinity admits; its WaitForFirstConsumer claims need,
// on the node, either a free matching volume (bound in PreBind by writing
// the volume's claimRef) or a provisioner (told the node by the claim's
// selected-node annotation). PreBind then waits until the PV controller
// has bound every claim, so the kubelet never sees an unbound one.

export const NAME = 'VolumeBinding';
export const ERR_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';
export const ERR_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const ERR_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
const NO_PROVISIONER = 'kubernetes.io/no-provisioner';
const STATE_KEY = 'PreFilter' + NAME;

export interface VolumeBindingArgs {
  /** Seconds PreBind waits for the claims to be bound (upstream bindTimeoutSeconds, 600). */
  bindTimeoutSeconds?: number;
}

interface NodeDecision {
  /** claim key → the static volume chosen for it on this node. */
  static: Map<string, VolumeBindingVolume>;
  /** Claims a provisioner will serve on this node. */
  provision: VolumeBindingClaim[];
}

class PodVolumes implements StateData {
  constructor(
    readonly bound: VolumeBindingClaim[],
    readonly delayed: VolumeBindingClaim[],
    readonly perNode = new Map<string, NodeDecision>(),
  ) {}

  clone(): StateData {
    return this;
  }
}

function key(c: VolumeBindingClaim): string {
  return `${c.metadata.namespace}/${c.metadata.name}`;
}

export class VolumeBinding implements PreFilterPlugin, FilterPlugin, ReservePlugin, PreBindPlugin {
  readonly name = NAME;
  /** Volumes promised to a claim by a pod in its binding cycle, so no other pod takes them meanwhile. */
  private readonly assumed = new Map<string, string>();
  private readonly timeoutMs: number;

  constructor(
    private readonly handle: Handle,
    args: VolumeBindingArgs = {},
  ) {
    this.timeoutMs = (args.bindTimeoutSeconds ?? 600) * 1000;
  }

  private get v(): VolumeAccess | undefined {
    return this.handle.volumes;
  }

  preFilter(state: CycleState, pod: PodInfo): { status: Status } {
    const volumes = (pod.pod.spec as { volumes?: unknown[] }).volumes ?? [];
    const claims = volumes.flatMap((v) => {
      const c = (v as { persistentVolumeClaim?: { claimName?: string } }).persistentVolumeClaim;
      return c?.claimName ? [c.claimName] : [];
    });
    if (claims.length === 0 || !this.v) return { status: SKIP };
    const ns = pod.pod.metadata.namespace ?? 'default';
    const bound: VolumeBindingClaim[] = [];
    const delayed: VolumeBindingClaim[] = [];
    const immediate: VolumeBindingClaim[] = [];
    for (const name of claims) {
      const c = this.v.claim(ns, name);
      if (!c) return { status: Status.unresolvable(`persistentvolumeclaim "${name}" not found`) };
      if (c.metadata.deletionTimestamp) return { status: Status.unresolvable(`persistentvolumeclaim "${name}" is being deleted`) };
      if (c.spec.volumeName) bound.push(c);
      else if (this.v.storageClass(claimClass(c))?.volumeBindingMode === WAIT_FOR_FIRST_CONSUMER) delayed.push(c);
      else immediate.push(c);
    }
    if (immediate.length > 0) return { status: Status.unresolvable(ERR_UNBOUND_IMMEDIATE) };
    state.write(STATE_KEY, new PodVolumes(bound, delayed));
    return { status: SUCCESS };
  }

  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status {
    const pv = state.read<PodVolumes>(STATE_KEY);
    const n = node.node;
    if (!pv || !n || !this.v) return SUCCESS;
    for (const c of pv.bound) {
      const vol = this.v.volume(c.spec.volumeName!);
      if (!vol) return Status.unresolvable('pvc(s) bound to non-existent pv(s)');
      if (!volumeNodeAffinityMatches(vol, n)) return Status.unresolvable(ERR_NODE_CONFLICT);
    }
    if (pv.delayed.length === 0) return SUCCESS;
    const decision: NodeDecision = { static: new Map(), provision: [] };
    const taken = new Set<string>();
    for (const c of pv.delayed) {
      const free = this.v.volumes().filter((v) => !taken.has(v.metadata.name!) && (!this.assumed.has(v.metadata.name!) || this.assumed.get(v.metadata.name!) === key(c)));
      const match = findBestMatch(c, free, n, true);
      if (match) {
        decision.static.set(key(c), match);
        taken.add(match.metadata.name!);
        continue;
      }
      const sc = this.v.storageClass(claimClass(c));
      if (!sc || !sc.provisioner || sc.provisioner === NO_PROVISIONER) return Status.unresolvable(ERR_BIND_CONFLICT);
      decision.provision.push(c);
    }
    pv.perNode.set(node.name, decision);
    return SUCCESS;
  }

  reserve(state: CycleState, _pod: PodInfo, nodeName: string): Status {
    const d = state.read<PodVolumes>(STATE_KEY)?.perNode.get(nodeName);
    if (!d) return SUCCESS;
    for (const [claim, v] of d.static) {
      const holder = this.assumed.get(v.metadata.name!);
      if (holder && holder !== claim) return Status.unschedulable(ERR_BIND_CONFLICT);
    }
    for (const [claim, v] of d.static) this.assumed.set(v.metadata.name!, claim);
    return SUCCESS;
  }

  unreserve(state: CycleState, _pod: PodInfo, nodeName: string): void {
    const d = state.read<PodVolumes>(STATE_KEY)?.perNode.get(nodeName);
    if (!d) return;
    for (const [claim, v] of d.static) if (this.assumed.get(v.metadata.name!) === claim) this.assumed.delete(v.metadata.name!);
  }

  async preBind(state: CycleState, _pod: PodInfo, nodeName: string): Promise<Status> {
    const pv = state.read<PodVolumes>(STATE_KEY);
    const d = pv?.perNode.get(nodeName);
    if (!pv || !d || !this.v) return SUCCESS;
    try {
      for (const c of pv.delayed) {
        const v = d.static.get(key(c));
        if (v) await this.v.bindVolume(v, c);
        else if (c.metadata.annotations?.[ANN_SELECTED_NODE] !== nodeName) await this.v.selectNode(c, nodeName);
      }
      const deadline = Date.now() + this.timeoutMs;
      for (;;) {
        const pending = pv.delayed.filter((c) => {
          const now = this.v!.claim(c.metadata.namespace!, c.metadata.name!);
          return !now?.spec.volumeName || now.status?.phase !== 'Bound';
        });
        if (pending.length === 0) break;
        if (Date.now() > deadline) return Status.error(`binding volumes: timed out waiting for the condition`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } catch (err) {
      return Status.error(`binding volumes: ${(err as Error).message}`);
    } finally {
      for (const [claim, v] of d.static) if (this.assumed.get(v.metadata.name!) === claim) this.assumed.delete(v.metadata.name!);
    }
    return SUCCESS;
  }

  events(): ClusterEvent[] {
    return [PVC_ANY, PV_ANY, STORAGECLASS_ANY, NODE_ADD, NODE_UPDATE, ASSIGNED_POD_DELETE];
  }
}
