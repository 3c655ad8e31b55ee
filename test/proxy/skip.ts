import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// Skip rule, as the Docker and etcd helpers: without root, iptables or busybox a
// proxy suite skips locally; with CI set it runs and fails.
export function netnsSkip(): string | false {
  if (process.env.CI) return false;
  if (process.getuid?.() !== 0) return 'needs root for network namespaces and iptables (with CI set this is a failure)';
  for (const bin of ['ip', 'iptables-restore', 'iptables-save', 'busybox']) {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    } catch {
      return `no ${bin} on PATH (with CI set this is a failure)`;
    }
  }
  if (!existsSync('/proc/self/ns/net')) return 'no network namespaces';
  return false;
}

/** The nftables suites also need nft (with CI set a missing one is a failure). */
export function nftSkip(): string | false {
  if (process.env.CI) return false;
  try {
    execFileSync('sh', ['-c', 'command -v nft'], { stdio: 'ignore' });
  } catch {
    return 'no nft on PATH (with CI set this is a failure)';
  }
  return false;
}
