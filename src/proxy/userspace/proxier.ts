import net from 'node:net';
import dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { Logger } from '../../util/log.js';
import type { ProxyState } from '../state.js';
import { categorize } from '../state.js';
import type { Endpoint, ServicePort } from '../types.js';
import { endpointString } from '../types.js';
import { inCIDR } from '../addresses.js';

// userspace mode, for a node where the proxy cannot program iptables (no
// root, or pods that are host processes): the proxy itself listens for each
// Service port and copies bytes to an endpoint. A ClusterIP is not routable
// without iptables, so its listener is on the ClusterIP when that address is
// assigned to this host, else on a loopback twin (loopbackFor); NodePorts
// listen on the node's addresses. TCP connections go round-robin over ready
// endpoints, and a refused or timed-out connect moves on to the next one.

/** 10.0.0.15 → 127.1.0.15: the loopback address a ClusterIP's listener takes in userspace mode. */
export function loopbackFor(clusterIP: string): string {
  const p = clusterIP.split('.').map(Number);
  return `127.${(p[1]! + 1) % 256}.${p[2]}.${p[3]}`;
}

// Upstream's userspace proxier dialled with growing timeouts, one per endpoint tried.
const CONNECT_TIMEOUTS_MS = [250, 500, 1000, 2000];
const UDP_IDLE_MS = 60_000;

interface Targets {
  sp: ServicePort;
  internal: Endpoint[];
  external: Endpoint[];
}

interface Listener {
  key: string;
  spName: string;
  external: boolean;
  close(): void;
}

export interface UserspaceOptions {
  state: ProxyState;
  log: Logger;
  /** --nodeport-addresses CIDRs; NodePorts listen on all addresses when empty. */
  nodePortAddresses?: string[];
}

export class UserspaceProxier {
  private readonly listeners = new Map<string, Listener>();
  private readonly failed = new Set<string>();
  private readonly targets = new Map<string, Targets>();
  private readonly next = new Map<string, number>();
  private readonly affinity = new Map<string, Map<string, { ep: string; at: number }>>();
  private readonly conns = new Set<net.Socket>();

  constructor(private readonly o: UserspaceOptions) {}

  /** Where a client on this node reaches a service port. */
  addressesFor(sp: ServicePort): Array<{ host: string; port: number; external: boolean }> {
    const local = new Set<string>();
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) local.add(a.address);
    const out = [{ host: local.has(sp.clusterIP) ? sp.clusterIP : loopbackFor(sp.clusterIP), port: sp.port, external: false }];
    for (const ip of sp.externalIPs) if (local.has(ip)) out.push({ host: ip, port: sp.port, external: true });
    if (sp.nodePort) {
      const cidrs = this.o.nodePortAddresses ?? [];
      const hosts = cidrs.length ? [...local].filter((ip) => !ip.includes(':') && cidrs.some((c) => inCIDR(ip, c))) : ['0.0.0.0'];
      for (const h of hosts) out.push({ host: h, port: sp.nodePort, external: true });
    }
    return out;
  }

  async sync(full = false): Promise<{ listeners: number; opened: number; closed: number }> {
    if (full) this.failed.clear();
    this.o.state.takeDirty();
    const want = new Map<string, { sp: ServicePort; host: string; port: number; external: boolean }>();
    this.targets.clear();
    for (const key of this.o.state.services.keys()) {
      for (const { sp, endpoints } of this.o.state.resolve(key)) {
        if (sp.protocol === 'SCTP') continue;
        const c = categorize(sp, endpoints);
        this.targets.set(sp.name, { sp, internal: sp.internalLocal ? c.local : c.cluster, external: sp.externalLocal ? c.local : c.cluster });
        for (const a of this.addressesFor(sp)) want.set(`${sp.protocol}|${a.host}|${a.port}`, { sp, ...a });
      }
    }
    let closed = 0;
    for (const [k, l] of this.listeners) {
      const w = want.get(k);
      if (!w || w.sp.name !== l.spName) {
        l.close();
        this.listeners.delete(k);
        closed++;
      }
    }
    let opened = 0;
    for (const [k, w] of want) {
      if (this.listeners.has(k) || this.failed.has(k)) continue;
      try {
        this.listeners.set(k, await (w.sp.protocol === 'UDP' ? this.listenUDP(k, w.sp.name, w.host, w.port, w.external) : this.listenTCP(k, w.sp.name, w.host, w.port, w.external)));
        opened++;
        this.o.log.info({ service: w.sp.name, protocol: w.sp.protocol, address: `${w.host}:${w.port}`, external: w.external }, 'serving service port');
      } catch (err) {
        this.failed.add(k);
        this.o.log.error({ service: w.sp.name, address: `${w.host}:${w.port}`, err: (err as Error).message }, 'cannot listen for service port');
      }
    }
    return { listeners: this.listeners.size, opened, closed };
  }

  /** Endpoints to try, in order: the client's sticky endpoint first, then round-robin. */
  private order(spName: string, external: boolean, client: string): Endpoint[] {
    const t = this.targets.get(spName);
    if (!t) return [];
    const eps = external ? t.external : t.internal;
    if (!eps.length) return [];
    const i = (this.next.get(spName) ?? 0) % eps.length;
    this.next.set(spName, i + 1);
    const ordered = [...eps.slice(i), ...eps.slice(0, i)];
    if (t.sp.stickySeconds) {
      const pin = this.affinity.get(spName)?.get(client);
      if (pin && Date.now() - pin.at < t.sp.stickySeconds * 1000) {
        const j = ordered.findIndex((e) => endpointString(e) === pin.ep);
        if (j > 0) ordered.unshift(...ordered.splice(j, 1));
      }
    }
    return ordered;
  }

  private remember(spName: string, client: string, ep: Endpoint): void {
    const t = this.targets.get(spName);
    if (!t?.sp.stickySeconds) return;
    let m = this.affinity.get(spName);
    if (!m) this.affinity.set(spName, (m = new Map()));
    m.set(client, { ep: endpointString(ep), at: Date.now() });
  }

  private listenTCP(key: string, spName: string, host: string, port: number, external: boolean): Promise<Listener> {
    const server = net.createServer({ pauseOnConnect: true }, (client) => this.onTCP(spName, external, client));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.o.log.error({ service: spName, err: err.message }, 'listener failed'));
        resolve({ key, spName, external, close: () => server.close() });
      });
    });
  }

  private onTCP(spName: string, external: boolean, client: net.Socket): void {
    this.conns.add(client);
    client.on('close', () => this.conns.delete(client));
    client.on('error', () => client.destroy());
    const clientIP = client.remoteAddress ?? '';
    const candidates = this.order(spName, external, clientIP);
    const attempt = (i: number): void => {
      if (client.destroyed) return;
      const ep = candidates[i];
      if (!ep) {
        client.destroy();
        return;
      }
      const up = net.connect({ host: ep.ip, port: ep.port });
      const timer = setTimeout(() => up.destroy(new Error('connect timeout')), CONNECT_TIMEOUTS_MS[Math.min(i, CONNECT_TIMEOUTS_MS.length - 1)]);
      let connected = false;
      up.once('error', (err) => {
        clearTimeout(timer);
        if (connected) return;
        this.o.log.debug({ service: spName, endpoint: endpointString(ep), err: err.message }, 'endpoint refused, trying the next');
        attempt(i + 1);
      });
      up.once('connect', () => {
        clearTimeout(timer);
        connected = true;
        up.on('error', () => client.destroy());
        client.on('error', () => up.destroy());
        client.on('close', () => up.destroy());
        up.on('close', () => client.destroy());
        this.conns.add(up);
        up.on('close', () => this.conns.delete(up));
        this.remember(spName, clientIP, ep);
        client.pipe(up);
        up.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  }

  private listenUDP(key: string, spName: string, host: string, port: number, external: boolean): Promise<Listener> {
    const sock = dgram.createSocket('udp4');
    const sessions = new Map<string, { up: dgram.Socket; timer: NodeJS.Timeout }>();
    sock.on('message', (msg, rinfo) => {
      const ck = `${rinfo.address}:${rinfo.port}`;
      let s = sessions.get(ck);
      if (!s) {
        const ep = this.order(spName, external, rinfo.address)[0];
        if (!ep) return;
        this.remember(spName, rinfo.address, ep);
        const up = dgram.createSocket('udp4');
        up.on('message', (reply) => sock.send(reply, rinfo.port, rinfo.address));
        up.on('error', () => up.close());
        up.connect(ep.port, ep.ip);
        s = { up, timer: setTimeout(() => {}, 0) };
        sessions.set(ck, s);
      }
      const cur = s;
      clearTimeout(cur.timer);
      cur.timer = setTimeout(() => {
        sessions.delete(ck);
        cur.up.close();
      }, UDP_IDLE_MS);
      cur.timer.unref();
      const send = (): void => cur.up.send(msg);
      // connect() is asynchronous; the first datagram waits for it.
      try {
        cur.up.remoteAddress();
        send();
      } catch {
        cur.up.once('connect', send);
      }
    });
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ address: host, port, exclusive: true }, () => {
        sock.off('error', reject);
        resolve({
          key,
          spName,
          external,
          close: () => {
            for (const s of sessions.values()) {
              clearTimeout(s.timer);
              s.up.close();
            }
            sock.close();
          },
        });
      });
    });
  }

  stop(): void {
    for (const l of this.listeners.values()) l.close();
    this.listeners.clear();
    for (const c of this.conns) c.destroy();
  }
}
