// One iperf3 transfer between two network namespaces, for the pod network
// benches: how each side enters its namespace is the caller's (nsenter into
// a pod's process, or `ip netns exec`).
import { spawn } from 'node:child_process';
import { runOk } from '../../src/runtime/exec/run.js';

export interface Transfer {
  gbps: number;
  /** CPU seconds of sender and receiver per GB received (iperf3's own accounting). */
  cpuPerGB: number;
}

interface IperfReport {
  end: { sum_received: { bits_per_second: number; bytes: number; seconds: number }; cpu_utilization_percent: { host_total: number; remote_total: number } };
}

/**
 * iperf3 for `seconds`, one TCP stream: the server run behind `serverEnter` (a command prefix such as
 * `ip netns exec NS`), the client behind `clientEnter`; what the receiver counted and the CPU both ends used.
 */
export async function iperfTransfer(serverEnter: string[], clientEnter: string[], ip: string, port: number, seconds: number): Promise<Transfer> {
  // --forceflush: iperf3 buffers its output when it is not a terminal, and "Server listening" would never arrive.
  const server = spawn(serverEnter[0]!, [...serverEnter.slice(1), 'iperf3', '-s', '-1', '--forceflush', '-p', String(port)], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      server.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Server listening')) resolve();
      });
      server.once('exit', (code) => reject(new Error(`iperf3 -s exited ${code}`)));
      setTimeout(() => reject(new Error('iperf3 -s did not start listening within 60 s')), 60_000).unref();
    });
    const { end } = JSON.parse(await runOk(clientEnter[0]!, [...clientEnter.slice(1), 'iperf3', '-c', ip, '-p', String(port), '-t', String(seconds), '-J'])) as IperfReport;
    const r = end.sum_received;
    const cpu = ((end.cpu_utilization_percent.host_total + end.cpu_utilization_percent.remote_total) / 100) * r.seconds;
    return { gbps: r.bits_per_second / 1e9, cpuPerGB: cpu / (r.bytes / 1e9) };
  } finally {
    server.kill('SIGKILL');
  }
}
