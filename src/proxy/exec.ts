import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

// Every command the proxy runs (iptables-restore, iptables-save, sysctl, ip)
// goes through one Exec, so the same proxier can program a network namespace
// (`ip netns exec NS ...`): tests and benchmarks use that to leave the host's
// tables alone.

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Exec {
  run(cmd: string, args: string[], input?: string): Promise<ExecResult>;
  /**
   * A long-running command (the nftables proxier's `nft -i`), its stderr merged into its stdout
   * and HOME pointing nowhere (interactive nft reads and writes a history file there). Optional:
   * without it the proxier runs every transaction with a fresh process.
   */
  start?(cmd: string, args: string[]): ChildProcessWithoutNullStreams;
}

export function hostExec(netns?: string): Exec {
  return {
    run(cmd, args, input) {
      const [bin, argv] = netns ? ['ip', ['netns', 'exec', netns, cmd, ...args]] : [cmd, args];
      return new Promise((resolve, reject) => {
        const child = spawn(bin, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (d: Buffer) => out.push(d));
        child.stderr.on('data', (d: Buffer) => err.push(d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
        child.stdin.on('error', () => {});
        child.stdin.end(input ?? '');
      });
    },
    start(cmd, args) {
      // Each of ip netns exec and sh replaces itself with the next, so the child's pid is the command's.
      const merged = ['-c', 'exec "$0" "$@" 2>&1', cmd, ...args];
      const [bin, argv] = netns ? ['ip', ['netns', 'exec', netns, 'sh', ...merged]] : ['sh', merged];
      return spawn(bin, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, HOME: '/dev/null' } });
    },
  };
}

export async function mustRun(exec: Exec, cmd: string, args: string[], input?: string): Promise<string> {
  const r = await exec.run(cmd, args, input);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}
