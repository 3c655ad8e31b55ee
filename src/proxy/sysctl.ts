import type { Logger } from '../util/log.js';
import type { Exec } from './exec.js';

// Kernel settings the iptables mode depends on: forwarding (DNAT to a pod is
// a routed packet), and, when pods share a Linux bridge (Docker's), bridged
// traffic must pass through iptables or a reply from a pod on the same bridge
// bypasses the conntrack entry that undoes the DNAT (upstream requires
// br_netfilter for the same reason). Only values that are wrong are changed,
// each with a log line.

/** A missing tool (no sysctl, no modprobe in a slim image) is a failed command, not a crash. */
function run(exec: Exec, cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return exec.run(cmd, args).catch((err: Error) => ({ code: -1, stdout: '', stderr: err.message }));
}

async function read(exec: Exec, key: string): Promise<string | undefined> {
  const r = await run(exec, 'sysctl', ['-n', key]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

async function ensure(exec: Exec, log: Logger, key: string, want: string, why: string): Promise<boolean> {
  const have = await read(exec, key);
  if (have === undefined) return false;
  if (have === want) return true;
  const w = await run(exec, 'sysctl', ['-w', `${key}=${want}`]);
  if (w.code !== 0) {
    log.warn({ sysctl: key, value: have, want, err: w.stderr.trim() }, `cannot set sysctl: ${why}`);
    return false;
  }
  log.info({ sysctl: key, from: have, to: want }, `set sysctl: ${why}`);
  return true;
}

export async function ensureSysctls(exec: Exec, log: Logger): Promise<void> {
  await ensure(exec, log, 'net.ipv4.ip_forward', '1', 'service traffic DNATed to a pod is forwarded');
  let bridge = await read(exec, 'net.bridge.bridge-nf-call-iptables');
  if (bridge === undefined) {
    const m = await run(exec, 'modprobe', ['br_netfilter']);
    if (m.code === 0) log.info({ module: 'br_netfilter' }, 'loaded kernel module: pods on one bridge reaching a ClusterIP need bridged traffic in iptables');
    bridge = await read(exec, 'net.bridge.bridge-nf-call-iptables');
    if (bridge === undefined) {
      log.warn('missing br_netfilter (net.bridge.bridge-nf-call-iptables): pods on a shared bridge may not reach services whose endpoints are on that bridge');
      return;
    }
  }
  await ensure(exec, log, 'net.bridge.bridge-nf-call-iptables', '1', 'pods on one bridge reaching a ClusterIP need bridged traffic in iptables');
}
