// One reading of the resource usage the kubelet reports: cumulative CPU
// time (nanoseconds, so consumers turn two readings into a rate, as
// metrics-server does) and the memory working set (usage minus inactive
// file pages: what the kernel cannot reclaim cheaply, as upstream counts it).

export interface Usage {
  /** Cumulative CPU time in nanoseconds since the container (or node) started. */
  cpuNanos: number;
  /** Working set in bytes. */
  memoryWorkingSetBytes: number;
  /** Total memory usage (working set plus reclaimable file pages), bytes. */
  memoryUsageBytes: number;
  /** When the reading was taken (ms since epoch). */
  timestampMs: number;
}

export interface ContainerUsage extends Usage {
  name: string;
  /** When the container started (ms since epoch). */
  startMs: number;
}

export interface PodUsage {
  namespace: string;
  name: string;
  uid: string;
  startMs: number;
  containers: ContainerUsage[];
  /** The pod as a whole: the sum of its containers. */
  total: Usage;
}

export interface NodeUsage extends Usage {
  /** When the node booted (ms since epoch). */
  startMs: number;
}

export interface StatsSnapshot {
  nodeName: string;
  node: NodeUsage;
  pods: PodUsage[];
  /** Containers whose figures could not be read (reported as resource_scrape_error). */
  errors: number;
}

/** Where a kubelet gets its figures: cgroups and /proc for real runtimes, the pods' requests for hollow nodes. */
export interface StatsProvider {
  snapshot(): Promise<StatsSnapshot>;
}

export function sumUsage(parts: Usage[], timestampMs: number): Usage {
  let cpu = 0;
  let ws = 0;
  let usage = 0;
  for (const p of parts) {
    cpu += p.cpuNanos;
    ws += p.memoryWorkingSetBytes;
    usage += p.memoryUsageBytes;
  }
  return { cpuNanos: cpu, memoryWorkingSetBytes: ws, memoryUsageBytes: usage, timestampMs };
}
