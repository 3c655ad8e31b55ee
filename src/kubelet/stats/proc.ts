import { readFile, readdir } from 'node:fs/promises';

// Figures from /proc: the node as a whole (/proc/stat, /proc/meminfo), and
// a container without a cgroup of its own (the exec runtime as non-root)
// as the sum of its process group.

/** Clock ticks per second of /proc/stat and /proc/PID/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100;
const NS_PER_TICK = 1e9 / USER_HZ;

/** Busy CPU time of all CPUs from the "cpu" line of /proc/stat: everything but idle and iowait (guest time is already in user). */
export function parseProcStatCpu(text: string): number {
  const line = /^cpu\s+(.*)$/m.exec(text);
  if (!line) return 0;
  const f = line[1]!.trim().split(/\s+/).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return (user + nice + system + irq + softirq + steal) * NS_PER_TICK;
}

export function parseBootTime(text: string): number {
  const m = /^btime (\d+)$/m.exec(text);
  return m ? Number(m[1]) * 1000 : 0;
}

/** The node's working set as cAdvisor computes it for the root cgroup: used memory (including page cache) minus inactive file pages. */
export function parseMeminfo(text: string): { usage: number; workingSet: number } {
  const kb = (k: string): number => {
    const m = new RegExp(`^${k.replace(/[()]/g, '\\$&')}:\\s+(\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  };
  const usage = kb('MemTotal') - kb('MemFree');
  return { usage, workingSet: Math.max(0, usage - kb('Inactive(file)')) };
}

export async function nodeUsageFromProc(): Promise<{ cpuNanos: number; usage: number; workingSet: number; bootMs: number }> {
  const [stat, meminfo] = await Promise.all([readFile('/proc/stat', 'utf8'), readFile('/proc/meminfo', 'utf8')]);
  return { cpuNanos: parseProcStatCpu(stat), ...parseMeminfo(meminfo), bootMs: parseBootTime(stat) };
}

/** utime+stime (ns) and RSS (bytes) of one process, from /proc/PID/stat. */
export function parsePidStat(text: string, pageSize = 4096): { pgrp: number; cpuNanos: number; rssBytes: number } {
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const pgrp = Number(rest[2]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const rss = Number(rest[21]);
  return { pgrp, cpuNanos: (utime + stime) * NS_PER_TICK, rssBytes: rss * pageSize };
}

/** CPU and RSS summed over the processes of a process group. */
export async function processGroupUsage(pgid: number): Promise<{ cpuNanos: number; rssBytes: number }> {
  let cpu = 0;
  let rss = 0;
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = parsePidStat(await readFile(`/proc/${name}/stat`, 'utf8'));
      if (s.pgrp !== pgid) continue;
      cpu += s.cpuNanos;
      rss += s.rssBytes;
    } catch {
      // the process ended while we looked
    }
  }
  return { cpuNanos: cpu, rssBytes: rss };
}
