import type { PodInfo } from '../framework/pod-info.js';

// Pods nominated to nodes by preemption: the space their victims free is
// held for them, so other pods' filters count them on that node.

export class Nominator {
  private readonly byNode = new Map<string, PodInfo[]>();
  private readonly nodeOf = new Map<string, string>();

  get size(): number {
    return this.nodeOf.size;
  }

  add(pi: PodInfo, nodeName: string): void {
    this.delete(pi.key);
    if (!nodeName) return;
    this.nodeOf.set(pi.key, nodeName);
    const list = this.byNode.get(nodeName) ?? [];
    list.push(pi);
    this.byNode.set(nodeName, list);
  }

  delete(key: string): void {
    const node = this.nodeOf.get(key);
    if (node === undefined) return;
    this.nodeOf.delete(key);
    const list = (this.byNode.get(node) ?? []).filter((p) => p.key !== key);
    if (list.length) this.byNode.set(node, list);
    else this.byNode.delete(node);
  }

  /** Keep the stored pod current (its priority or spec may change). */
  update(pi: PodInfo): void {
    const node = this.nodeOf.get(pi.key);
    if (node !== undefined) this.add(pi, node);
  }

  nodeFor(key: string): string | undefined {
    return this.nodeOf.get(key);
  }

  podsForNode(nodeName: string): PodInfo[] {
    if (this.nodeOf.size === 0) return EMPTY;
    return this.byNode.get(nodeName) ?? EMPTY;
  }
}

const EMPTY: PodInfo[] = [];
