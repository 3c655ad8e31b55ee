import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

// Reads a process's cgroup figures the way cAdvisor does: cgroup v1
// (cpuacct.usage, memory.usage_in_bytes minus total_inactive_file) or v2
// (cpu.stat usage_usec, memory.current minus inactive_file). The cgroup is
// found from /proc/PID/cgroup, so Docker's cgroups (docker/<id> with the
// cgroupfs driver, docker-<id>.scope with systemd) and the exec runtime's
// (k8ts/<node>/<sandbox>/<container>) are read the same way.

const ROOT = '/sys/fs/cgroup';

export interface CgroupPaths {
  version: 'v1' | 'v2';
  /** v1: the cpuacct directory; v2: the cgroup directory. */
  cpu: string;
  /** v1: the memory directory; v2: the same as cpu. */
  memory: string;
  /** The path as /proc/PID/cgroup names it, to compare with another process's. */
  key: string;
}

/** Which hierarchy holds the figures: v1 when a cpuacct and a memory hierarchy are mounted (hybrid hosts), else v2. */
export function cgroupMode(root = ROOT): 'v1' | 'v2' | undefined {
  if (existsSync(join(root, 'cgroup.controllers'))) return 'v2';
  if (v1Dir(root, 'cpuacct') && existsSync(join(root, 'memory', 'memory.stat'))) return 'v1';
  return undefined;
}

function v1Dir(root: string, controller: string): string | undefined {
  for (const d of [controller, 'cpu,cpuacct', 'cpuacct,cpu']) if (existsSync(join(root, d, 'cgroup.procs'))) return join(root, d);
  return undefined;
}

/** The cgroup directories of a process, from the lines of /proc/PID/cgroup. */
export function parseProcCgroup(text: string, mode: 'v1' | 'v2', root = ROOT): CgroupPaths | undefined {
  const lines = text.split('\n').filter(Boolean).map((l) => {
    const [, , controllers = '', path = ''] = /^(\d+):([^:]*):(.*)$/.exec(l) ?? [];
    return { controllers: controllers.split(','), path };
  });
  if (mode === 'v2') {
    const unified = lines.find((l) => l.controllers.length === 1 && l.controllers[0] === '');
    if (!unified) return undefined;
    const dir = join(root, unified.path);
    return { version: 'v2', cpu: dir, memory: dir, key: unified.path };
  }
  const cpu = lines.find((l) => l.controllers.includes('cpuacct'));
  const mem = lines.find((l) => l.controllers.includes('memory'));
  const cpuRoot = v1Dir(root, 'cpuacct');
  if (!cpu || !mem || !cpuRoot) return undefined;
  return { version: 'v1', cpu: join(cpuRoot, cpu.path), memory: join(root, 'memory', mem.path), key: `${cpu.path}|${mem.path}` };
}

export async function cgroupOf(pid: number | 'self', mode: 'v1' | 'v2', root = ROOT): Promise<CgroupPaths | undefined> {
  try {
    return parseProcCgroup(await readFile(`/proc/${pid}/cgroup`, 'utf8'), mode, root);
  } catch {
    return undefined;
  }
}

/** A key's value from a flat-keyed file such as memory.stat or cpu.stat. */
export function statValue(text: string, key: string): number | undefined {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

export interface CgroupUsage {
  cpuNanos: number;
  memoryUsageBytes: number;
  memoryWorkingSetBytes: number;
}

/** Upstream's working set: usage minus inactive file pages, never below zero. */
export function workingSet(usage: number, inactiveFile: number): number {
  return Math.max(0, usage - inactiveFile);
}

export async function readCgroupUsage(p: CgroupPaths): Promise<CgroupUsage> {
  if (p.version === 'v1') {
    const [cpu, usage, stat] = await Promise.all([
      readFile(join(p.cpu, 'cpuacct.usage'), 'utf8'),
      readFile(join(p.memory, 'memory.usage_in_bytes'), 'utf8'),
      readFile(join(p.memory, 'memory.stat'), 'utf8'),
    ]);
    const u = Number(usage.trim());
    return { cpuNanos: Number(cpu.trim()), memoryUsageBytes: u, memoryWorkingSetBytes: workingSet(u, statValue(stat, 'total_inactive_file') ?? statValue(stat, 'inactive_file') ?? 0) };
  }
  const [cpu, current, stat] = await Promise.all([
    readFile(join(p.cpu, 'cpu.stat'), 'utf8'),
    readFile(join(p.memory, 'memory.current'), 'utf8'),
    readFile(join(p.memory, 'memory.stat'), 'utf8'),
  ]);
  const u = Number(current.trim());
  return { cpuNanos: (statValue(cpu, 'usage_usec') ?? 0) * 1000, memoryUsageBytes: u, memoryWorkingSetBytes: workingSet(u, statValue(stat, 'inactive_file') ?? 0) };
}
