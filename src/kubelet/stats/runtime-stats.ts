import type { ContainerRuntime } from '../../runtime/interface.js';
import { LABEL_POD_UID } from '../../runtime/interface.js';
import type { Pod } from '../api-types.js';
import { cgroupMode, cgroupOf, readCgroupUsage, type CgroupPaths } from './cgroup.js';
import { nodeUsageFromProc, processGroupUsage } from './proc.js';
import { sumUsage, type ContainerUsage, type PodUsage, type StatsProvider, type StatsSnapshot } from './types.js';

// Figures for a kubelet over a real runtime (Docker, exec): each running
// container's cgroup, found once from its main process and remembered, and
// the node from /proc. A container left in the kubelet's own cgroup (the
// exec runtime without root) is measured as its process group instead, so
// it is never charged for the whole host.

export interface RuntimeStatsOptions {
  nodeName: string;
  runtime: ContainerRuntime;
  /** The pods this kubelet runs. */
  pods: () => Pod[];
}

type Source = { kind: 'cgroup'; paths: CgroupPaths } | { kind: 'pgroup'; pgid: number };

export class RuntimeStatsProvider implements StatsProvider {
  private readonly mode = cgroupMode();
  private own?: Promise<CgroupPaths | undefined>;
  private readonly sources = new Map<string, Source>();

  constructor(private readonly o: RuntimeStatsOptions) {}

  private async sourceOf(id: string): Promise<Source | undefined> {
    const known = this.sources.get(id);
    if (known) return known;
    const pid = await this.o.runtime.containerPid?.(id);
    if (!pid) return undefined;
    let src: Source = { kind: 'pgroup', pgid: pid };
    if (this.mode) {
      this.own ??= cgroupOf('self', this.mode);
      const [mine, theirs] = await Promise.all([this.own, cgroupOf(pid, this.mode)]);
      if (theirs && theirs.key !== mine?.key) src = { kind: 'cgroup', paths: theirs };
    }
    this.sources.set(id, src);
    return src;
  }

  private async read(src: Source): Promise<{ cpuNanos: number; memoryUsageBytes: number; memoryWorkingSetBytes: number }> {
    if (src.kind === 'cgroup') return readCgroupUsage(src.paths);
    const g = await processGroupUsage(src.pgid);
    return { cpuNanos: g.cpuNanos, memoryUsageBytes: g.rssBytes, memoryWorkingSetBytes: g.rssBytes };
  }

  async snapshot(): Promise<StatsSnapshot> {
    const pods = this.o.pods();
    const byUid = new Map(pods.map((p) => [p.metadata.uid!, p]));
    const running = (await this.o.runtime.listContainers({ state: 'CONTAINER_RUNNING' })).filter((c) => byUid.has(c.labels[LABEL_POD_UID] ?? ''));
    const live = new Set(running.map((c) => c.id));
    for (const id of this.sources.keys()) if (!live.has(id)) this.sources.delete(id);
    let errors = 0;
    const perPod = new Map<string, ContainerUsage[]>();
    await Promise.all(
      running.map(async (c) => {
        try {
          const src = await this.sourceOf(c.id);
          if (!src) return;
          const u = await this.read(src);
          const uid = c.labels[LABEL_POD_UID]!;
          const list = perPod.get(uid) ?? [];
          list.push({ name: c.metadata.name, startMs: c.createdAt, timestampMs: Date.now(), ...u });
          perPod.set(uid, list);
        } catch {
          // A container that ended between the listing and the read; its cgroup is gone.
          this.sources.delete(c.id);
          errors++;
        }
      }),
    );
    const out: PodUsage[] = [];
    for (const [uid, containers] of perPod) {
      const p = byUid.get(uid)!;
      containers.sort((a, b) => a.name.localeCompare(b.name));
      const now = Math.max(...containers.map((c) => c.timestampMs));
      out.push({
        namespace: p.metadata.namespace ?? 'default',
        name: p.metadata.name!,
        uid,
        startMs: Date.parse(p.status?.startTime ?? '') || Math.min(...containers.map((c) => c.startMs)),
        containers,
        total: sumUsage(containers, now),
      });
    }
    const n = await nodeUsageFromProc();
    return {
      nodeName: this.o.nodeName,
      node: { cpuNanos: n.cpuNanos, memoryUsageBytes: n.usage, memoryWorkingSetBytes: n.workingSet, timestampMs: Date.now(), startMs: n.bootMs },
      pods: out,
      errors,
    };
  }
}
