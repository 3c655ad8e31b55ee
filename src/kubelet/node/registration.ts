import { nowTimestamp } from '../../api/types.js';
import { isAlreadyExists, isNotFound } from '../../client/status.js';
import type { Node, NodeStatus } from '../api-types.js';
import type { NodeAgentContext } from '../context.js';
import * as ev from '../events.js';
import { initialNode, nodeLabels, nodeStatus, statusChanged, type ConditionState, type NodeFacts } from './node-object.js';

// Registering the Node and keeping its status current, as upstream's
// registerWithAPIServer and updateNodeStatus: the status is computed every
// nodeStatusUpdateFrequency and PATCHed (strategic merge, nodes/status) when
// it changed or nodeStatusReportFrequency has passed; the Lease carries the
// heartbeat in between. Condition transitions become node events.

const NODES = { group: '', version: 'v1', resource: 'nodes', namespaced: false };

/**
 * What a reporter must remember between ticks, in a few strings: thousands
 * of idle hollow nodes keep this instead of a reporter each and build the
 * reporter again for each tick (conditions encodes the last reported
 * condition statuses, e.g. "Ready=True;…", the same text for most nodes).
 */
export interface ReporterState {
  uid?: string;
  lastReportAt: number;
  conditions: string;
  podCIDR?: string;
}

export class NodeStatusReporter {
  private registered = false;
  private uid?: string;
  /** Only the conditions of what we last sent are ever read again; thousands of hollow nodes keep just those. */
  private lastConditionsSent?: NodeStatus['conditions'];
  private lastReportAt = 0;
  private lastConditions = new Map<string, string>();
  private busy = false;
  private podCIDR?: string;

  constructor(
    private readonly ctx: NodeAgentContext,
    private readonly facts: () => NodeFacts,
    private readonly reportFrequencyMs: number,
    /**
     * True once the node's agent is stopped: a tick already under way then
     * writes nothing. A hollow node's tick can wait a minute for its GET
     * behind other nodes' requests, and its late PATCH set a node stopped a
     * minute before back to Ready (a killed kubelet sends nothing more).
     */
    private readonly stopped: () => boolean = () => false,
  ) {}

  /** undefined until the node is registered. */
  snapshot(): ReporterState | undefined {
    if (!this.registered) return undefined;
    return { uid: this.uid, lastReportAt: this.lastReportAt, conditions: [...this.lastConditions].map(([t, st]) => `${t}=${st}`).join(';'), ...(this.podCIDR ? { podCIDR: this.podCIDR } : {}) };
  }

  /** Continues from a snapshot: registered, with the same transitions already reported. */
  restore(s: ReporterState): void {
    this.registered = true;
    this.uid = s.uid;
    this.lastReportAt = s.lastReportAt;
    this.podCIDR = s.podCIDR;
    this.lastConditions = new Map(s.conditions ? s.conditions.split(';').map((kv) => kv.split('=') as [string, string]) : []);
  }

  get nodeUID(): string | undefined {
    return this.uid;
  }

  /** A reference to this node for events, as upstream's (uid = node name). */
  get ref(): { kind: string; name: string; uid: string } {
    return { kind: 'Node', name: this.ctx.nodeName, uid: this.ctx.nodeName };
  }

  private async conditionState(): Promise<ConditionState> {
    try {
      await this.ctx.runtime.version();
      const conditions = (await this.ctx.runtime.status?.())?.conditions ?? [];
      // As upstream's runtimeState: a runtime or its network not ready makes the node NotReady.
      for (const type of ['RuntimeReady', 'NetworkReady']) {
        const c = conditions.find((x) => x.type === type);
        if (c && !c.status) return { ready: false, notReadyMessage: `container runtime ${type === 'NetworkReady' ? 'network ' : ''}not ready: ${type}=false reason:${c.reason} message:${c.message}` };
      }
      return { ready: true, runtimeConditions: conditions.filter((c) => c.type !== 'RuntimeReady' && c.type !== 'NetworkReady') };
    } catch (err) {
      return { ready: false, notReadyMessage: `container runtime is down: ${(err as Error).message}` };
    }
  }

  /**
   * Called every nodeStatusUpdateFrequency (and once at start); never throws.
   * cached: the Node as a watch-fed cache holds it, read instead of a GET.
   * Upstream's tryUpdateNodeStatus reads its Node on the first try with
   * resourceVersion=0, i.e. from the API server's watch cache, which is as
   * stale as any watch; without one (not seen yet, or deleted) this GETs.
   */
  async tick(cached?: Node): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (!this.registered) await this.register();
      else if (cached?.status) {
        await this.syncPodCIDR(cached);
        await this.update(false, cached.status);
      } else await this.update();
    } catch (err) {
      this.ctx.log.warn({ node: this.ctx.nodeName, err: (err as Error).message }, this.registered ? 'error updating node status, will retry' : 'unable to register node with API server');
    } finally {
      this.busy = false;
    }
  }

  private async register(): Promise<void> {
    const now = nowTimestamp();
    const node = initialNode(this.facts(), await this.conditionState(), now);
    let created: Node;
    try {
      created = await this.ctx.client.create<Node>(NODES, undefined, node);
      this.ctx.log.info({ node: this.ctx.nodeName }, 'successfully registered node');
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Re-registration: take over labels we own and report our status.
      const existing = await this.ctx.client.get<Node>(NODES, undefined, this.ctx.nodeName);
      const labels = { ...existing.metadata.labels, ...nodeLabels(this.facts()) };
      created = await this.ctx.client.patch<Node>(NODES, undefined, this.ctx.nodeName, 'strategic', { metadata: { labels } });
      this.registered = true;
      this.uid = created.metadata.uid;
      await this.syncPodCIDR(existing);
      await this.update(true, existing.status);
      return;
    }
    this.registered = true;
    this.uid = created.metadata.uid;
    await this.syncPodCIDR(created);
    this.lastConditionsSent = node.status?.conditions;
    this.lastReportAt = Date.now();
    this.recordTransitions(node.status!);
  }

  private async update(force = false, apiStatus?: NodeStatus): Promise<void> {
    // As upstream's tryUpdateNodeStatus: compare with the status the API server holds, not with what we
    // last sent, so a status someone else changed (the node lifecycle controller's Ready=Unknown after a
    // late heartbeat) is put right on the next tick instead of after nodeStatusReportFrequency.
    let current = apiStatus;
    if (!current) {
      try {
        const node = await this.ctx.client.get<Node>(NODES, undefined, this.ctx.nodeName);
        current = node.status;
        await this.syncPodCIDR(node);
      } catch (err) {
        if (isNotFound(err)) {
          this.registered = false;
          this.lastConditions.clear();
        }
        throw err;
      }
    }
    const now = nowTimestamp();
    const status = nodeStatus(this.facts(), await this.conditionState(), current ? current.conditions : this.lastConditionsSent, now);
    const due = Date.now() - this.lastReportAt >= this.reportFrequencyMs;
    if (!force && !due && !statusChanged(current, status)) return;
    if (this.stopped()) return;
    try {
      const updated = await this.ctx.client.patch<Node>(NODES, undefined, this.ctx.nodeName, 'strategic', { status }, { subresource: 'status' });
      this.uid = updated.metadata.uid;
    } catch (err) {
      if (isNotFound(err)) {
        // The Node was deleted under us: register again on the next tick.
        this.registered = false;
        this.lastConditions.clear();
      }
      throw err;
    }
    this.lastConditionsSent = status.conditions;
    this.lastReportAt = Date.now();
    this.recordTransitions(status);
  }

  /** As upstream's updatePodCIDR: the runtime learns the Node's podCIDR (set by node IPAM) when it appears or changes. */
  private async syncPodCIDR(node: Node): Promise<void> {
    const cidr = node.spec?.podCIDRs?.[0] ?? node.spec?.podCIDR;
    if (!cidr || cidr === this.podCIDR || !this.ctx.runtime.updatePodCIDR) return;
    try {
      await this.ctx.runtime.updatePodCIDR(cidr);
      this.podCIDR = cidr;
      this.ctx.log.info({ node: this.ctx.nodeName, podCIDR: cidr }, 'updated the runtime\'s pod CIDR');
    } catch (err) {
      this.ctx.log.warn({ node: this.ctx.nodeName, podCIDR: cidr, err: (err as Error).message }, 'failed to update the runtime\'s pod CIDR');
    }
  }

  private recordTransitions(status: NodeStatus): void {
    const reasons: Record<string, Record<string, string>> = {
      MemoryPressure: { False: 'NodeHasSufficientMemory', True: 'NodeHasInsufficientMemory' },
      DiskPressure: { False: 'NodeHasNoDiskPressure', True: 'NodeHasDiskPressure' },
      PIDPressure: { False: 'NodeHasSufficientPID', True: 'NodeHasInsufficientPID' },
      Ready: { True: ev.NodeReady, False: ev.NodeNotReady },
    };
    for (const c of status.conditions ?? []) {
      if (this.lastConditions.get(c.type) === c.status) continue;
      const first = !this.lastConditions.has(c.type);
      this.lastConditions.set(c.type, c.status);
      const reason = reasons[c.type]?.[c.status];
      if (!reason) {
        // A runtime's own condition (the exec runtime's PodIsolation): a warning when it turns bad.
        if (c.status === 'False' && c.reason) this.ctx.recorder.event(this.ref, 'Warning', c.reason, c.message ?? '');
        continue;
      }
      if (c.type === 'Ready' && first) this.ctx.recorder.event(this.ref, 'Normal', ev.NodeAllocatableEnforced, 'Updated Node Allocatable limit across pods');
      this.ctx.recorder.event(this.ref, 'Normal', reason, `Node ${this.ctx.nodeName} status is now: ${reason}`);
    }
  }
}
