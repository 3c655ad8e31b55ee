import { createHash } from 'node:crypto';
import { run } from './ip.js';
import type { Logger } from '../util/log.js';

// Pod traffic between nodes is routed through each host's FORWARD chain,
// whose policy Docker sets to DROP. As flannel (its FLANNEL-FWD chain) and
// kube-proxy (KUBE-FORWARD) do, the agent accepts what comes from or goes to
// the cluster's pod range, in a chain of its own hooked first into FORWARD;
// the chain is rewritten in one iptables-restore (no moment without rules)
// and taken away with the rest of the pod network on a clean stop.

const HOOK_COMMENT = 'k8ts pod network forwarding';

/** One chain per node name (as the bridge), so two nodes sharing a host never remove each other's. */
export function forwardChain(nodeName: string): string {
  return `K8TS-FWD-${createHash('sha256').update(nodeName).digest('hex').slice(0, 8).toUpperCase()}`;
}

export class ForwardRules {
  private applied = '';
  private warned = false;

  constructor(
    readonly chain: string,
    private readonly log: Logger,
  ) {}

  private hook(): string[] {
    return ['FORWARD', '-m', 'comment', '--comment', HOOK_COMMENT, '-j', this.chain];
  }

  /** Makes the chain accept exactly these CIDRs, as source or destination (idempotent). */
  async sync(cidrs: string[]): Promise<void> {
    const want = [...new Set(cidrs)].sort();
    const rules = want.flatMap((c) => [`-A ${this.chain} -s ${c} -m comment --comment "k8ts pod network" -j ACCEPT`, `-A ${this.chain} -d ${c} -m comment --comment "k8ts pod network" -j ACCEPT`]);
    const text = ['*filter', `:${this.chain} - [0:0]`, ...rules, 'COMMIT', ''].join('\n');
    const hooked = (await run('iptables', ['-w', '-C', ...this.hook()])).code === 0;
    if (text === this.applied && hooked) return;
    // Declaring the chain in the input flushes it; --noflush keeps every other chain of the table.
    const r = await run('iptables-restore', ['-w', '--noflush'], { input: text });
    if (r.code !== 0) {
      if (!this.warned) this.log.warn({ chain: this.chain, err: r.stderr.trim() }, 'cannot write the FORWARD accept rules: with a FORWARD policy of DROP, pods on other nodes are unreachable');
      this.warned = true;
      throw new Error(`iptables-restore ${this.chain}: ${r.stderr.trim()}`);
    }
    if (!hooked) {
      const h = await run('iptables', ['-w', '-I', ...this.hook()]);
      if (h.code !== 0) throw new Error(`iptables -I FORWARD -j ${this.chain}: ${h.stderr.trim()}`);
    }
    if (text !== this.applied) this.log.info({ chain: this.chain, cidrs: want }, 'FORWARD: accepting pod traffic');
    this.applied = text;
  }

  /** Removes the hook and the chain (an earlier run's too). */
  async cleanup(): Promise<void> {
    this.applied = '';
    let hooks = 0;
    while ((await run('iptables', ['-w', '-D', ...this.hook()])).code === 0) hooks++;
    const flushed = (await run('iptables', ['-w', '-F', this.chain])).code === 0;
    if (flushed) await run('iptables', ['-w', '-X', this.chain]);
    if (hooks || flushed) this.log.info({ chain: this.chain }, 'FORWARD: removed the pod traffic rules');
  }
}
