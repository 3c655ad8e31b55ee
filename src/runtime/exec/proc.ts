// What the exec runtime knows about host processes comes from /proc: a pid
// alone is not an identity (pids are reused), so every recorded process is
// paired with its start time (field 22 of /proc/<pid>/stat, clock ticks
// since boot) and only counts as ours while both still match.
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcRef {
  pid: number;
  startTime: string;
}

interface Stat {
  state: string;
  ppid: number;
  pgrp: number;
  startTime: string;
}

/** Parses /proc/<pid>/stat; the command (field 2) may hold spaces and parentheses, so fields are counted from the last ')'. */
export function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  return { state: rest[0]!, ppid: Number(rest[1]), pgrp: Number(rest[2]), startTime: rest[19]! };
}

export function procRef(pid: number): ProcRef | undefined {
  const st = readStat(pid);
  return st ? { pid, startTime: st.startTime } : undefined;
}

/** True while the recorded process still runs (a zombie has finished: only its parent's bookkeeping remains). */
export function isAlive(ref: ProcRef | undefined): boolean {
  if (!ref) return false;
  const st = readStat(ref.pid);
  return !!st && st.startTime === ref.startTime && st.state !== 'Z' && st.state !== 'X';
}

function allPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const n = Number(name);
    if (Number.isInteger(n) && n > 0) out.push(n);
  }
  return out;
}

/** Children of a process (the kernel's /proc/<pid>/task/<tid>/children is not always built in, so scan). */
export function childrenOf(pid: number): number[] {
  return allPids().filter((p) => readStat(p)?.ppid === pid);
}

/**
 * Members of a process group: the fallback handle on a container's tree
 * when there is no cgroup. Only processes started no earlier than
 * `notBefore` (start-time ticks) count, so a group id reused after the
 * container ended cannot point at someone else's processes.
 */
export function processGroup(pgid: number, notBefore = '0'): number[] {
  return allPids().filter((p) => {
    const st = readStat(p);
    return !!st && st.pgrp === pgid && st.state !== 'Z' && Number(st.startTime) >= Number(notBefore);
  });
}

/** Sends a signal; false when the process is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}
