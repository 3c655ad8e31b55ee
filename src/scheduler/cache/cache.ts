import { NodeInfo } from '../framework/node-info.js';
import { PodInfo } from '../framework/pod-info.js';
import type { Node, Pod } from '../framework/types.js';
import { podKey } from '../framework/types.js';
import { Snapshot } from './snapshot.js';

// The scheduler's view of where pods run (upstream's internal/cache): bound
// pods from the informer plus pods assumed on a node the moment a cycle
// picks it, before the binding is written, so the next cycle already counts
// them. A failed binding forgets the assumption. Every change marks the
// node dirty; updateSnapshot copies only dirty nodes.

interface PodState {
  info: PodInfo;
  nodeName: string;
  assumed: boolean;
  bindingFinished: boolean;
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly pods = new Map<string, PodState>();
  /** Nodes that have a Node object, in the order they were added (the snapshot's list order). */
  private readonly nodeOrder = new Set<string>();
  private readonly dirty = new Set<string>();
  private nodeSetChanged = true;

  get nodeCount(): number {
    return this.nodeOrder.size;
  }

  isAssumed(key: string): boolean {
    return this.pods.get(key)?.assumed ?? false;
  }

  podNode(key: string): string | undefined {
    return this.pods.get(key)?.nodeName;
  }

  private nodeInfo(name: string): NodeInfo {
    let ni = this.nodes.get(name);
    if (!ni) {
      ni = new NodeInfo();
      this.nodes.set(name, ni);
    }
    return ni;
  }

  private touch(name: string): void {
    this.dirty.add(name);
  }

  private placePod(info: PodInfo, nodeName: string): void {
    this.nodeInfo(nodeName).addPod(info);
    this.touch(nodeName);
  }

  private unplacePod(key: string, nodeName: string): void {
    const ni = this.nodes.get(nodeName);
    if (!ni) return;
    ni.removePod(key);
    if (!ni.node && ni.pods.length === 0) this.nodes.delete(nodeName);
    this.touch(nodeName);
  }

  /** Count the pod on the node now; the binding follows asynchronously. */
  assumePod(info: PodInfo, nodeName: string): void {
    if (this.pods.has(info.key)) throw new Error(`pod ${info.key} is in the cache, so can't be assumed`);
    this.placePod(info, nodeName);
    this.pods.set(info.key, { info, nodeName, assumed: true, bindingFinished: false });
  }

  finishBinding(key: string): void {
    const s = this.pods.get(key);
    if (s?.assumed) s.bindingFinished = true;
  }

  /** The binding failed: take the assumed pod off its node. */
  forgetPod(key: string): void {
    const s = this.pods.get(key);
    if (!s || !s.assumed) return;
    this.unplacePod(key, s.nodeName);
    this.pods.delete(key);
  }

  /** A bound pod seen by the informer (confirms an assumption). */
  addPod(pod: Pod): void {
    const key = podKey(pod);
    const nodeName = pod.spec.nodeName!;
    const s = this.pods.get(key);
    const info = new PodInfo(pod);
    if (s) this.unplacePod(key, s.nodeName);
    this.placePod(info, nodeName);
    this.pods.set(key, { info, nodeName, assumed: false, bindingFinished: true });
  }

  updatePod(_old: Pod, pod: Pod): void {
    this.addPod(pod);
  }

  removePod(pod: Pod): void {
    const key = podKey(pod);
    const s = this.pods.get(key);
    if (!s) return;
    this.unplacePod(key, s.nodeName);
    this.pods.delete(key);
  }

  addNode(node: Node): void {
    const name = node.metadata.name!;
    this.nodeInfo(name).setNode(node);
    if (!this.nodeOrder.has(name)) {
      this.nodeOrder.add(name);
      this.nodeSetChanged = true;
    }
    this.touch(name);
  }

  updateNode(_old: Node, node: Node): void {
    this.addNode(node);
  }

  removeNode(node: Node): void {
    const name = node.metadata.name!;
    const ni = this.nodes.get(name);
    if (ni) {
      ni.node = undefined;
      if (ni.pods.length === 0) this.nodes.delete(name);
    }
    this.nodeOrder.delete(name);
    this.nodeSetChanged = true;
    this.touch(name);
  }

  /** Bring the snapshot up to date, copying only what changed since the last call. */
  updateSnapshot(snap: Snapshot): void {
    let affinityChanged = false;
    for (const name of this.dirty) {
      const prev = snap.map.get(name);
      if (prev && (prev.podsWithAffinity.length > 0 || prev.podsWithRequiredAntiAffinity.length > 0)) affinityChanged = true;
      const ni = this.nodes.get(name);
      if (!ni || !ni.node) {
        if (prev) {
          snap.map.delete(name);
          this.nodeSetChanged = true;
        }
        continue;
      }
      const copy = ni.clone();
      if (copy.podsWithAffinity.length > 0 || copy.podsWithRequiredAntiAffinity.length > 0) affinityChanged = true;
      snap.map.set(name, copy);
      const i = snap.index.get(name);
      if (i === undefined) this.nodeSetChanged = true;
      else snap.list[i] = copy;
    }
    this.dirty.clear();
    if (this.nodeSetChanged) {
      snap.list = [];
      snap.index.clear();
      for (const name of this.nodeOrder) {
        const ni = snap.map.get(name);
        if (!ni) continue;
        snap.index.set(name, snap.list.length);
        snap.list.push(ni);
      }
      this.nodeSetChanged = false;
      affinityChanged = true;
    }
    if (affinityChanged) {
      snap.havePodsWithAffinity = snap.list.filter((n) => n.podsWithAffinity.length > 0);
      snap.havePodsWithRequiredAntiAffinity = snap.list.filter((n) => n.podsWithRequiredAntiAffinity.length > 0);
    }
  }

  /** For tests and debugging: the cache's own NodeInfo. */
  getNode(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }
}
