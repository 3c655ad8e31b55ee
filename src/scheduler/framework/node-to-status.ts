import { Code, Status } from './status.js';

// Why each node was rejected in a cycle. Nodes never evaluated (cut by a
// PreFilter result, or skipped by preemption) share the absent status.

export class NodeToStatus {
  private readonly map = new Map<string, Status>();
  absent: Status = new Status(Code.UnschedulableAndUnresolvable);

  set(node: string, s: Status): void {
    this.map.set(node, s);
  }

  get(node: string): Status {
    return this.map.get(node) ?? this.absent;
  }

  has(node: string): boolean {
    return this.map.has(node);
  }

  get size(): number {
    return this.map.size;
  }

  entries(): IterableIterator<[string, Status]> {
    return this.map.entries();
  }
}
