// Resource limits and a reliable handle on a container's whole process
// tree, through cgroups. v1 (one hierarchy per controller, as on this CI
// machine: /sys/fs/cgroup/{cpu,memory,pids}) and v2 (one unified tree) are
// both handled; everything k8ts creates lives under <root>/k8ts/<node>/ so
// it never touches cgroups it did not make.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LinuxResources } from '../interface.js';

const ROOT = '/sys/fs/cgroup';
const V1_CONTROLLERS = ['cpu', 'memory', 'pids'] as const;

export type CgroupVersion = 'v1' | 'v2';

export function detectCgroups(root = ROOT): CgroupVersion | undefined {
  if (existsSync(join(root, 'cgroup.controllers'))) return 'v2';
  if (V1_CONTROLLERS.every((c) => existsSync(join(root, c, 'cgroup.procs')))) return 'v1';
  return undefined;
}

/** cpu.shares (2..262144) to cgroup v2's cpu.weight (1..10000), the formula runc and the kubelet use. */
export function sharesToWeight(shares: number): number {
  return Math.round(1 + ((Math.max(2, Math.min(262144, shares)) - 2) * 9999) / 262142);
}

export class Cgroups {
  constructor(
    readonly version: CgroupVersion,
    private readonly root = ROOT,
  ) {}

  /** The directories of one cgroup: one per controller on v1, one on v2. */
  dirs(rel: string): string[] {
    return this.version === 'v1' ? V1_CONTROLLERS.map((c) => join(this.root, c, rel)) : [join(this.root, rel)];
  }

  /** The cgroup.procs files a process writes "0" into to join the cgroup. */
  procsFiles(rel: string): string[] {
    return this.dirs(rel).map((d) => join(d, 'cgroup.procs'));
  }

  async create(rel: string, resources?: LinuxResources): Promise<void> {
    if (this.version === 'v2') await this.enableControllers(rel);
    for (const d of this.dirs(rel)) await mkdir(d, { recursive: true });
    if (resources) await this.limit(rel, resources);
  }

  /** v2 only lets a cgroup use a controller its parent delegates, so delegate cpu, memory and pids down the path. */
  private async enableControllers(rel: string): Promise<void> {
    const parts = rel.split('/').filter(Boolean);
    let dir = this.root;
    for (let i = 0; i < parts.length; i++) {
      const available = (await readFile(join(dir, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/);
      const want = ['cpu', 'memory', 'pids'].filter((c) => available.includes(c));
      if (want.length) await writeFile(join(dir, 'cgroup.subtree_control'), want.map((c) => `+${c}`).join(' ')).catch(() => undefined);
      dir = join(dir, parts[i]!);
      await mkdir(dir, { recursive: true });
    }
  }

  async limit(rel: string, r: LinuxResources): Promise<void> {
    const write = (dir: string, file: string, value: string | number): Promise<void> => writeFile(join(dir, file), String(value));
    if (this.version === 'v1') {
      const [cpu, memory] = [join(this.root, 'cpu', rel), join(this.root, 'memory', rel)];
      if (r.cpuShares) await write(cpu, 'cpu.shares', r.cpuShares);
      if (r.cpuQuota && r.cpuPeriod) {
        await write(cpu, 'cpu.cfs_period_us', r.cpuPeriod);
        await write(cpu, 'cpu.cfs_quota_us', r.cpuQuota);
      }
      if (r.memoryLimitBytes) await write(memory, 'memory.limit_in_bytes', r.memoryLimitBytes);
      return;
    }
    const dir = join(this.root, rel);
    if (r.cpuShares) await write(dir, 'cpu.weight', sharesToWeight(r.cpuShares)).catch(() => undefined);
    if (r.cpuQuota && r.cpuPeriod) await write(dir, 'cpu.max', `${r.cpuQuota} ${r.cpuPeriod}`).catch(() => undefined);
    if (r.memoryLimitBytes) await write(dir, 'memory.max', r.memoryLimitBytes);
  }

  /** Host pids in the cgroup (and, on v2, its descendants are separate cgroups: containers have none). */
  procs(rel: string): number[] {
    const dir = this.version === 'v1' ? join(this.root, 'pids', rel) : join(this.root, rel);
    try {
      return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** Whether the kernel's OOM killer ended a process of this cgroup. */
  oomKilled(rel: string): boolean {
    const file = this.version === 'v1' ? join(this.root, 'memory', rel, 'memory.oom_control') : join(this.root, rel, 'memory.events');
    try {
      const m = /^oom_kill (\d+)$/m.exec(readFileSync(file, 'utf8'));
      return !!m && Number(m[1]) > 0;
    } catch {
      return false;
    }
  }

  /** Removes the cgroup and then its parents up to (not including) stopAt while they are empty. */
  async remove(rel: string, stopAt = ''): Promise<void> {
    let cur = rel;
    while (cur && cur !== stopAt && cur !== '.') {
      let busy = false;
      for (const d of this.dirs(cur)) {
        try {
          await rmdir(d);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'ENOENT') busy = true;
        }
      }
      if (busy) return;
      cur = cur.includes('/') ? cur.slice(0, cur.lastIndexOf('/')) : '';
    }
  }
}
