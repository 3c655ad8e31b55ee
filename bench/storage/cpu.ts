// CPU time per operation, on both sides of the etcd connection: this
// process (user + system) and the etcd server (from /proc). On a shared
// machine wall-clock rates swing with the neighbours' load; CPU per operation
// swings much less, and says which side an overhead is on.
import { readFileSync } from 'node:fs';

export interface CpuPerOp {
  /** Microseconds of this process's CPU per operation. */
  client: number;
  /** Microseconds of the etcd server's CPU per operation (NaN when unknown). */
  server: number;
}

/** utime + stime of a process in microseconds (clock ticks are 10 ms on Linux). */
function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Runs fn and returns its CPU cost per operation for n operations. */
export async function cpuPerOp<T>(serverPid: number | null, n: number, fn: () => Promise<T>): Promise<{ result: T; cpu: CpuPerOp }> {
  const server0 = serverPid ? processCpuUs(serverPid) : NaN;
  const client0 = process.cpuUsage();
  const result = await fn();
  const client = process.cpuUsage(client0);
  const server = serverPid ? processCpuUs(serverPid) - server0 : NaN;
  return { result, cpu: { client: (client.user + client.system) / n, server: server / n } };
}
