// The node's pod network, built with iproute2 as the CNI bridge plugin
// would: one Linux bridge per node holding the podCIDR's gateway address,
// and per pod a veth pair whose inner end becomes eth0 in the pod's network
// namespace. The veth goes away by itself when the namespace dies with the
// pause process; the bridge is removed when the runtime closes with no pods.
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { RuntimeError, type PortMapping } from '../interface.js';
import { logger } from '../../util/log.js';
import { gateway, overlaps, parseCidr, type Cidr } from './cidr.js';
import { run, runOk } from './run.js';

const log = logger('runtime');
/**
 * Wait for the xtables lock instead of failing at once: kube-proxy, the pod network and other nodes' runtimes
 * write rules at the same moments, and a refused `-D` left FORWARD rules behind for bridges long gone.
 */
const XTABLES_WAIT = ['-w', '5'];

/** A bridge name from the node name: stable across restarts, at most 15 characters (IFNAMSIZ). */
export function defaultBridgeName(nodeName: string): string {
  return `k8ts${createHash('sha256').update(nodeName).digest('hex').slice(0, 8)}`;
}

/** The comment tagging a sandbox's hostPort rules (no spaces: `iptables -S` prints it as one word). */
const hostPortTag = (sandboxId: string): string => `k8ts-sandbox-${sandboxId}`;

/** Host-side veth name of a sandbox. */
export function vethName(sandboxId: string): string {
  return `kv${sandboxId.slice(0, 12)}`;
}

interface RouteEntry {
  dst: string;
  dev?: string;
}

/** Refuses a podCIDR that overlaps a network this machine already routes (other than our own bridge). */
export async function checkNoOverlap(podCIDR: string, bridge: string): Promise<void> {
  const mine = parseCidr(podCIDR);
  const out = await runOk('ip', ['-4', '-j', 'route', 'show', 'table', 'all']);
  for (const r of JSON.parse(out || '[]') as RouteEntry[]) {
    if (!r.dst || r.dst === 'default' || r.dev === bridge) continue;
    let theirs: Cidr;
    try {
      theirs = parseCidr(r.dst);
    } catch {
      continue;
    }
    if (theirs.bits === 32 && (r.dst.startsWith('127.') || theirs.base === 0)) continue;
    // The podCIDR's network address on the pod network's VXLAN device (flannel's VTEP address): never a pod's.
    if (theirs.bits === 32 && theirs.base === mine.base) continue;
    if (theirs.bits < 8) continue;
    if (overlaps(mine, theirs)) {
      throw new RuntimeError(
        'InvalidConfig',
        `pod CIDR ${podCIDR} overlaps ${r.dst}${r.dev ? ` on ${r.dev}` : ''}, a network this machine already uses; choose another --pod-cidr`,
      );
    }
  }
}

export class NodeNetwork {
  readonly cidr: Cidr;
  private ready?: Promise<void>;
  private forwardRule = false;

  constructor(
    readonly podCIDR: string,
    readonly bridge: string,
    /** Both ends of every pod veth get it (undefined: the kernel's default). */
    readonly mtu?: number,
  ) {
    this.cidr = parseCidr(podCIDR);
  }

  get prefix(): number {
    return this.cidr.bits;
  }

  get gateway(): string {
    return gateway(this.cidr);
  }

  /** Creates the bridge on first use (concurrent callers share one attempt). */
  ensureBridge(): Promise<void> {
    this.ready ??= this.createBridge().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  private async createBridge(): Promise<void> {
    const exists = (await run('ip', ['link', 'show', 'dev', this.bridge])).code === 0;
    if (!exists) {
      await checkNoOverlap(this.podCIDR, this.bridge);
      await runOk('ip', ['link', 'add', 'name', this.bridge, 'type', 'bridge']);
      log.info({ bridge: this.bridge, podCIDR: this.podCIDR }, 'created node bridge');
    }
    const addr = `${this.gateway}/${this.prefix}`;
    const r = await run('ip', ['addr', 'add', addr, 'dev', this.bridge]);
    if (r.code !== 0 && !/File exists|already assigned/.test(r.stderr)) throw new Error(`ip addr add ${addr} dev ${this.bridge}: ${r.stderr.trim()}`);
    await runOk('ip', ['link', 'set', this.bridge, 'up']);
    await this.allowForwarding();
  }

  /**
   * With br_netfilter loaded, frames between two ports of a bridge pass the
   * iptables FORWARD chain, whose policy Docker sets to DROP; accept traffic
   * that stays on our bridge, as the CNI bridge plugin does.
   */
  private async allowForwarding(): Promise<void> {
    let bridged = '0';
    try {
      bridged = readFileSync('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8').trim();
    } catch {
      return;
    }
    if (bridged !== '1') return;
    const rule = this.forwardRuleSpec();
    if ((await run('iptables', [...XTABLES_WAIT, '-C', ...rule])).code === 0) {
      this.forwardRule = true;
      return;
    }
    const r = await run('iptables', [...XTABLES_WAIT, '-I', ...rule]);
    if (r.code === 0) this.forwardRule = true;
    else log.warn({ bridge: this.bridge, err: r.stderr.trim() }, 'cannot add iptables FORWARD rule; pods may not reach each other');
  }

  private forwardRuleSpec(): string[] {
    return ['FORWARD', '-i', this.bridge, '-o', this.bridge, '-m', 'comment', '--comment', 'k8ts pod bridge', '-j', 'ACCEPT'];
  }

  /** Moves one end of a new veth pair into the namespace of `nsPid` as eth0 with `ip`, and plugs the other into the bridge. */
  async attach(nsPid: number, sandboxId: string, ip: string): Promise<string> {
    await this.ensureBridge();
    const veth = vethName(sandboxId);
    const mtu = this.mtu ? ['mtu', String(this.mtu)] : [];
    await runOk('ip', ['link', 'add', veth, ...mtu, 'type', 'veth', 'peer', 'name', 'eth0', ...mtu, 'netns', String(nsPid)]);
    try {
      await runOk('ip', ['link', 'set', veth, 'master', this.bridge, 'up']);
      const script = [`link set lo up`, `addr add ${ip}/${this.prefix} dev eth0`, `link set eth0 up`, `route add default via ${this.gateway}`].join('\n') + '\n';
      await runOk('nsenter', ['-t', String(nsPid), '-n', '--', 'ip', '-batch', '-'], { input: script });
    } catch (err) {
      await run('ip', ['link', 'del', veth]);
      throw err;
    }
    return veth;
  }

  /** Removes the host end of a pod's veth if it is still there (the namespace normally takes it along). */
  async detach(veth: string | undefined): Promise<void> {
    if (!veth) return;
    await run('ip', ['link', 'del', veth]);
  }

  // ---- hostPort: DNAT in iptables, as the CNI portmap plugin does

  /** The nat chain holding this node's hostPort DNAT rules (one tagged group per sandbox). */
  get hostPortChain(): string {
    return `KHP-${this.bridge}`;
  }

  private hostPortHooks(): { table: string; rule: string[] }[] {
    const tag = ['-m', 'comment', '--comment', `k8ts-hostports-${this.bridge}`];
    return [
      // Traffic to any address of this machine, from outside (PREROUTING) or from the machine itself (OUTPUT).
      { table: 'nat', rule: ['PREROUTING', '-m', 'addrtype', '--dst-type', 'LOCAL', ...tag, '-j', this.hostPortChain] },
      { table: 'nat', rule: ['OUTPUT', '-m', 'addrtype', '--dst-type', 'LOCAL', ...tag, '-j', this.hostPortChain] },
      // Connections to 127.0.0.1:hostPort leave through the bridge: the pod must see (and answer) the bridge's address.
      { table: 'nat', rule: ['POSTROUTING', '-s', '127.0.0.0/8', '-o', this.bridge, ...tag, '-j', 'MASQUERADE'] },
      // Docker's FORWARD policy is DROP: let DNATed connections to the pods (and their replies) through.
      { table: 'filter', rule: ['FORWARD', '-o', this.bridge, '-m', 'conntrack', '--ctstate', 'DNAT', ...tag, '-j', 'ACCEPT'] },
      { table: 'filter', rule: ['FORWARD', '-i', this.bridge, '-m', 'conntrack', '--ctstate', 'DNAT', ...tag, '-j', 'ACCEPT'] },
    ];
  }

  private async ensureHostPortChain(): Promise<void> {
    if ((await run('iptables', [...XTABLES_WAIT, '-t', 'nat', '-S', this.hostPortChain])).code !== 0) await runOk('iptables', [...XTABLES_WAIT, '-t', 'nat', '-N', this.hostPortChain]);
    for (const { table, rule } of this.hostPortHooks()) {
      if ((await run('iptables', [...XTABLES_WAIT, '-t', table, '-C', ...rule])).code !== 0) await runOk('iptables', [...XTABLES_WAIT, '-t', table, '-I', ...rule]);
    }
    // Loopback-sourced packets may only be routed out of the bridge with route_localnet on it (portmap sets the same).
    try {
      writeFileSync(`/proc/sys/net/ipv4/conf/${this.bridge}/route_localnet`, '1');
    } catch (err) {
      log.warn({ bridge: this.bridge, err: (err as Error).message }, 'cannot enable route_localnet: hostPorts will not answer on 127.0.0.1');
    }
  }

  /** DNATs each mapping's hostPort (on hostIp, or every address of the machine) to the pod's containerPort. */
  async addHostPorts(sandboxId: string, podIP: string, mappings: PortMapping[]): Promise<void> {
    // The pod network is IPv4 only: a mapping bound to an IPv6 host address has nothing to point at.
    for (const m of mappings) if (m.hostPort && m.hostIp?.includes(':')) log.warn({ sandbox: sandboxId, hostIp: m.hostIp, hostPort: m.hostPort }, 'IPv6 hostIP not supported by the exec runtime; hostPort not mapped');
    const ports = mappings.filter((m) => m.hostPort && !m.hostIp?.includes(':'));
    if (!ports.length) return;
    await this.ensureBridge();
    await this.ensureHostPortChain();
    try {
      for (const m of ports) {
        const proto = m.protocol.toLowerCase();
        const dst = m.hostIp && m.hostIp !== '0.0.0.0' ? ['-d', `${m.hostIp}/32`] : [];
        await runOk('iptables', [...XTABLES_WAIT, '-t', 'nat', '-A', this.hostPortChain, ...dst, '-p', proto, '-m', proto, '--dport', String(m.hostPort), '-m', 'comment', '--comment', hostPortTag(sandboxId), '-j', 'DNAT', '--to-destination', `${podIP}:${m.containerPort}`]);
      }
    } catch (err) {
      await this.removeHostPorts(sandboxId);
      throw err;
    }
  }

  /** Deletes every DNAT rule tagged with the sandbox (found by listing, so it works after a restart too). */
  async removeHostPorts(sandboxId: string): Promise<void> {
    const r = await run('iptables', [...XTABLES_WAIT, '-t', 'nat', '-S', this.hostPortChain]);
    if (r.code !== 0) return;
    const tag = hostPortTag(sandboxId);
    for (const line of r.stdout.split('\n')) {
      const words = line.trim().split(/\s+/);
      if (words[0] !== '-A' || !words.includes(tag)) continue;
      await run('iptables', [...XTABLES_WAIT, '-t', 'nat', '-D', ...words.slice(1)]);
    }
  }

  private async removeHostPortChain(): Promise<void> {
    for (const { table, rule } of this.hostPortHooks()) {
      while ((await run('iptables', [...XTABLES_WAIT, '-t', table, '-C', ...rule])).code === 0) {
        if ((await run('iptables', [...XTABLES_WAIT, '-t', table, '-D', ...rule])).code !== 0) break;
      }
    }
    if ((await run('iptables', [...XTABLES_WAIT, '-t', 'nat', '-F', this.hostPortChain])).code === 0) await run('iptables', [...XTABLES_WAIT, '-t', 'nat', '-X', this.hostPortChain]);
  }

  async removeBridge(): Promise<void> {
    this.ready = undefined;
    await this.removeHostPortChain();
    if (this.forwardRule || (await run('iptables', [...XTABLES_WAIT, '-C', ...this.forwardRuleSpec()])).code === 0) {
      await run('iptables', [...XTABLES_WAIT, '-D', ...this.forwardRuleSpec()]);
      this.forwardRule = false;
    }
    const r = await run('ip', ['link', 'del', this.bridge]);
    if (r.code === 0) log.info({ bridge: this.bridge }, 'removed node bridge');
  }
}
