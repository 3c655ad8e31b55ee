// The node's pod network, routed as Calico lays it out, without a bridge:
// per pod a veth pair whose inner end becomes eth0 in the pod's network
// namespace with the pod's address as a /32, a default route through the
// podCIDR's gateway address and a permanent neighbour entry giving that
// address the host end's fixed MAC (so no ARP, and no address on the host
// side); the host routes the pod's /32 to the host end. Packets between pods,
// on this node or another, are routed by the host's IP stack: no bridge hop,
// and no br_netfilter pass on top of the routed one. An `unreachable` route
// for the podCIDR (its metric derived from the network's name) keeps traffic
// to unused pod addresses from leaving by the default route and marks the
// range as this node's. The veth goes away by itself when the namespace dies
// with the pause process, taking its route along; the rest is removed when the
// runtime closes with no pods.
import { writeFileSync } from 'node:fs';
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

/**
 * The pod network's name from the node name: stable across restarts, at most 15 characters (IFNAMSIZ). It tags
 * the network's iptables rules and chain, and gives its podCIDR route a metric of its own.
 */
export function defaultNetworkName(nodeName: string): string {
  return `k8ts${createHash('sha256').update(nodeName).digest('hex').slice(0, 8)}`;
}

/** The metric of a network's `unreachable` podCIDR route: another node's network on this host has another one. */
export function networkMetric(name: string): number {
  return Number.parseInt(createHash('sha256').update(name).digest('hex').slice(0, 7), 16) + 1;
}

/** Every pod's host-side veth has this MAC (Calico's): the pods' gateway neighbour entry is the same for all. */
export const HOST_VETH_MAC = 'ee:ee:ee:ee:ee:ee';

/** The comment tagging a sandbox's hostPort rules (no spaces: `iptables -S` prints it as one word). */
const hostPortTag = (sandboxId: string): string => `k8ts-sandbox-${sandboxId}`;

/** Host-side veth name of a sandbox. */
export function vethName(sandboxId: string): string {
  return `kv${sandboxId.slice(0, 12)}`;
}

interface RouteEntry {
  type?: string;
  dst: string;
  dev?: string;
  metric?: number;
}

/**
 * The `unreachable` route marking a podCIDR as the network `name`'s, or the connected route of the bridge of that
 * name that k8ts made before its pod network was routed (kept until its last pod is gone).
 */
const isOwnRoute = (r: RouteEntry, podCIDR: string, name: string): boolean => (r.type === 'unreachable' && r.dst === podCIDR && r.metric === networkMetric(name)) || r.dev === name;

/** The podCIDR the network `name` holds on this host (its `unreachable` route), if it is there: found without the runtime's memory. */
export async function podCIDROfNetwork(name: string): Promise<string | undefined> {
  const r = await run('ip', ['-4', '-j', 'route', 'show', 'type', 'unreachable']);
  if (r.code !== 0) return undefined;
  return (JSON.parse(r.stdout || '[]') as RouteEntry[]).find((e) => e.metric === networkMetric(name))?.dst;
}

/** Refuses a podCIDR that overlaps a network this machine already routes (other than the network `name`'s own route). */
export async function checkNoOverlap(podCIDR: string, name: string): Promise<void> {
  const mine = parseCidr(podCIDR);
  const out = await runOk('ip', ['-4', '-j', 'route', 'show', 'table', 'all']);
  for (const r of JSON.parse(out || '[]') as RouteEntry[]) {
    if (!r.dst || r.dst === 'default' || isOwnRoute(r, podCIDR, name)) continue;
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
    /** Tags the rules and the podCIDR route of this node's network (defaultNetworkName). */
    readonly name: string,
    /** Both ends of every pod veth get it (undefined: the kernel's default). */
    readonly mtu?: number,
  ) {
    this.cidr = parseCidr(podCIDR);
  }

  get prefix(): number {
    return this.cidr.bits;
  }

  /** The pods' next hop: an address no device holds, only each pod's neighbour entry. */
  get gateway(): string {
    return gateway(this.cidr);
  }

  private routeSpec(): string[] {
    return ['unreachable', this.podCIDR, 'metric', String(networkMetric(this.name))];
  }

  /** Whether this network's podCIDR route is in place (a pod network left by an earlier run, or this one's). */
  async exists(): Promise<boolean> {
    const r = await run('ip', ['-4', '-j', 'route', 'show', 'type', 'unreachable', this.podCIDR]);
    return r.code === 0 && (JSON.parse(r.stdout || '[]') as RouteEntry[]).some((e) => e.metric === networkMetric(this.name));
  }

  /** Sets up the host side on first use (concurrent callers share one attempt). */
  ensureNetwork(): Promise<void> {
    this.ready ??= this.createNetwork().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  private async createNetwork(): Promise<void> {
    if (!(await this.exists())) {
      await checkNoOverlap(this.podCIDR, this.name);
      const r = await run('ip', ['-4', 'route', 'add', ...this.routeSpec()]);
      if (r.code !== 0 && !/File exists/.test(r.stderr)) throw new Error(`ip route add ${this.routeSpec().join(' ')}: ${r.stderr.trim()}`);
      log.info({ network: this.name, podCIDR: this.podCIDR }, 'created node pod network');
    }
    // Every packet from a pod is routed by the host, even to a pod of the same node.
    try {
      writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'cannot turn on IPv4 forwarding: pods reach nothing beyond their own namespace');
    }
    await this.allowForwarding();
  }

  /** Docker leaves the FORWARD policy at DROP: accept traffic between this node's pods, as the CNI bridge plugin does for its bridge. */
  private async allowForwarding(): Promise<void> {
    const rule = this.forwardRuleSpec();
    if ((await run('iptables', [...XTABLES_WAIT, '-C', ...rule])).code === 0) {
      this.forwardRule = true;
      return;
    }
    const r = await run('iptables', [...XTABLES_WAIT, '-I', ...rule]);
    if (r.code === 0) this.forwardRule = true;
    else log.warn({ network: this.name, err: r.stderr.trim() }, 'cannot add iptables FORWARD rule; pods may not reach each other');
  }

  private forwardRuleSpec(): string[] {
    return ['FORWARD', '-s', this.podCIDR, '-d', this.podCIDR, '-m', 'comment', '--comment', `k8ts pod network ${this.name}`, '-j', 'ACCEPT'];
  }

  /** Moves one end of a new veth pair into the namespace of `nsPid` as eth0 with `ip`, and routes the pod's address to the other. */
  async attach(nsPid: number, sandboxId: string, ip: string): Promise<string> {
    await this.ensureNetwork();
    const veth = vethName(sandboxId);
    const mtu = this.mtu ? ['mtu', String(this.mtu)] : [];
    await runOk('ip', ['link', 'add', veth, ...mtu, 'address', HOST_VETH_MAC, 'type', 'veth', 'peer', 'name', 'eth0', ...mtu, 'netns', String(nsPid)]);
    try {
      await runOk('ip', ['link', 'set', veth, 'up']);
      await runOk('ip', ['-4', 'route', 'replace', `${ip}/32`, 'dev', veth, 'scope', 'link']);
      const script = [
        'link set lo up',
        `addr add ${ip}/32 dev eth0`,
        'link set eth0 up',
        `neigh replace ${this.gateway} lladdr ${HOST_VETH_MAC} dev eth0 nud permanent`,
        `route add ${this.gateway} dev eth0 scope link`,
        `route add default via ${this.gateway} dev eth0`,
      ].join('\n') + '\n';
      await runOk('nsenter', ['-t', String(nsPid), '-n', '--', 'ip', '-batch', '-'], { input: script });
    } catch (err) {
      await run('ip', ['link', 'del', veth]);
      throw err;
    }
    return veth;
  }

  /** Removes the host end of a pod's veth if it is still there (the namespace normally takes it along, and the route with it). */
  async detach(veth: string | undefined): Promise<void> {
    if (!veth) return;
    await run('ip', ['link', 'del', veth]);
  }

  // ---- hostPort: DNAT in iptables, as the CNI portmap plugin does

  /** The nat chain holding this node's hostPort DNAT rules (one tagged group per sandbox). */
  get hostPortChain(): string {
    return `KHP-${this.name}`;
  }

  private hostPortHooks(): { table: string; rule: string[] }[] {
    const tag = ['-m', 'comment', '--comment', `k8ts-hostports-${this.name}`];
    return [
      // Traffic to any address of this machine, from outside (PREROUTING) or from the machine itself (OUTPUT).
      { table: 'nat', rule: ['PREROUTING', '-m', 'addrtype', '--dst-type', 'LOCAL', ...tag, '-j', this.hostPortChain] },
      { table: 'nat', rule: ['OUTPUT', '-m', 'addrtype', '--dst-type', 'LOCAL', ...tag, '-j', this.hostPortChain] },
      // Connections to 127.0.0.1:hostPort leave towards a pod: the pod must see (and answer) an address of the host.
      { table: 'nat', rule: ['POSTROUTING', '-s', '127.0.0.0/8', '-d', this.podCIDR, ...tag, '-j', 'MASQUERADE'] },
      // Docker's FORWARD policy is DROP: let DNATed connections to the pods (and their replies) through.
      { table: 'filter', rule: ['FORWARD', '-d', this.podCIDR, '-m', 'conntrack', '--ctstate', 'DNAT', ...tag, '-j', 'ACCEPT'] },
      { table: 'filter', rule: ['FORWARD', '-s', this.podCIDR, '-m', 'conntrack', '--ctstate', 'DNAT', ...tag, '-j', 'ACCEPT'] },
    ];
  }

  private async ensureHostPortChain(): Promise<void> {
    if ((await run('iptables', [...XTABLES_WAIT, '-t', 'nat', '-S', this.hostPortChain])).code !== 0) await runOk('iptables', [...XTABLES_WAIT, '-t', 'nat', '-N', this.hostPortChain]);
    for (const { table, rule } of this.hostPortHooks()) {
      if ((await run('iptables', [...XTABLES_WAIT, '-t', table, '-C', ...rule])).code !== 0) await runOk('iptables', [...XTABLES_WAIT, '-t', table, '-I', ...rule]);
    }
  }

  /** DNATs each mapping's hostPort (on hostIp, or every address of the machine) to the pod's containerPort. */
  async addHostPorts(sandboxId: string, podIP: string, mappings: PortMapping[]): Promise<void> {
    // The pod network is IPv4 only: a mapping bound to an IPv6 host address has nothing to point at.
    for (const m of mappings) if (m.hostPort && m.hostIp?.includes(':')) log.warn({ sandbox: sandboxId, hostIp: m.hostIp, hostPort: m.hostPort }, 'IPv6 hostIP not supported by the exec runtime; hostPort not mapped');
    const ports = mappings.filter((m) => m.hostPort && !m.hostIp?.includes(':'));
    if (!ports.length) return;
    await this.ensureNetwork();
    await this.ensureHostPortChain();
    // Connections to 127.0.0.1:hostPort are DNATed out of this pod's veth, and a loopback source may only leave
    // through a device with route_localnet (portmap sets it on its bridge); only the veths of pods with hostPorts
    // get it, as it also lets their pods' packets to 127.0.0.0/8 in.
    try {
      writeFileSync(`/proc/sys/net/ipv4/conf/${vethName(sandboxId)}/route_localnet`, '1');
    } catch (err) {
      log.warn({ sandbox: sandboxId, err: (err as Error).message }, 'cannot enable route_localnet: hostPorts will not answer on 127.0.0.1');
    }
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

  /** Removes the FORWARD rule, the hostPort chain and the podCIDR route (each that exists). */
  async removeNetwork(): Promise<void> {
    this.ready = undefined;
    await this.removeHostPortChain();
    if (this.forwardRule || (await run('iptables', [...XTABLES_WAIT, '-C', ...this.forwardRuleSpec()])).code === 0) {
      await run('iptables', [...XTABLES_WAIT, '-D', ...this.forwardRuleSpec()]);
      this.forwardRule = false;
    }
    let removed = false;
    while (await this.exists()) {
      if ((await run('ip', ['-4', 'route', 'del', ...this.routeSpec()])).code !== 0) break;
      removed = true;
    }
    if (removed) log.info({ network: this.name, podCIDR: this.podCIDR }, 'removed node pod network');
    // The node bridge of an earlier version, whose pods were adopted and are gone now.
    if ((await run('ip', ['link', 'del', this.name, 'type', 'bridge'])).code === 0) log.info({ bridge: this.name }, 'removed the node bridge of an earlier version');
  }
}
