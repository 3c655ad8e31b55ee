// The cluster DNS server: UDP and TCP on one address and port, answers
// from the Resolver, everything outside the cluster domain relayed to the
// host's nameservers. dns-packet does the wire format; sockets are Node's.

import dgram from 'node:dgram';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type * as DnsPacket from 'dns-packet';
import type { Resolver, Record_ } from './records.js';
import { logger } from '../util/log.js';

const log = logger('dns');

// dns-packet (45 KB of source, ~0.6 MB of heap) is loaded by the first query: an idle cluster asks none.
// Everything below that uses it runs inside handle(), after the load.
let packet: typeof DnsPacket;
let loading: Promise<typeof DnsPacket> | undefined;
async function loadPacket(): Promise<typeof DnsPacket> {
  loading ??= import('dns-packet').then((m) => (packet = m));
  return loading;
}

const RCODES: Record<string, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
/** Without EDNS a UDP answer may be 512 bytes (RFC 1035). */
const PLAIN_UDP_LIMIT = 512;
const FORWARD_TIMEOUT_MS = 2000;

export interface Upstream {
  host: string;
  port: number;
}

export interface DnsServerOptions {
  resolver: Resolver;
  address: string;
  /** 0 picks a free port (the same one for UDP and TCP). */
  port: number;
  /** Where names outside the cluster domain go; none: SERVFAIL. */
  upstreams: Upstream[];
}

export interface RunningDnsServer {
  address: string;
  port: number;
  /** Queries answered since start (for the benchmark and logs). */
  stats(): { queries: number; forwarded: number };
  close(): Promise<void>;
}

type Query = DnsPacket.Packet & { flags?: number };

function flagsFor(q: Query, rcode: string, authoritative: boolean): number {
  let f = (q.flags ?? 0) & packet.RECURSION_DESIRED;
  f |= packet.RECURSION_AVAILABLE;
  if (authoritative) f |= packet.AUTHORITATIVE_ANSWER;
  return f | (RCODES[rcode] ?? 2);
}

function reply(q: Query, rcode: string, authoritative: boolean, sections: { answers?: Record_[]; authorities?: Record_[]; additionals?: Record_[] } = {}): DnsPacket.Packet {
  const additionals: DnsPacket.Answer[] = [...((sections.additionals ?? []) as DnsPacket.Answer[])];
  const opt = (q.additionals ?? []).find((a) => a.type === 'OPT');
  // Echo EDNS so the client knows it may receive large UDP answers.
  if (opt) additionals.push({ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [] } as unknown as DnsPacket.Answer);
  return {
    id: q.id,
    type: 'response',
    flags: flagsFor(q, rcode, authoritative),
    questions: q.questions,
    answers: (sections.answers ?? []) as DnsPacket.Answer[],
    authorities: (sections.authorities ?? []) as DnsPacket.Answer[],
    additionals,
  } as DnsPacket.Packet;
}

function udpLimit(q: Query): number {
  const opt = (q.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  return Math.max(PLAIN_UDP_LIMIT, Math.min(opt?.udpPayloadSize ?? PLAIN_UDP_LIMIT, 4096));
}

/** Relays a raw query to the first upstream that answers. */
function forward(raw: Buffer, upstreams: Upstream[]): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let i = 0;
    const next = (): void => {
      const up = upstreams[i++];
      if (!up) return resolve(undefined);
      const sock = dgram.createSocket(up.host.includes(':') ? 'udp6' : 'udp4');
      const timer = setTimeout(() => {
        sock.close();
        next();
      }, FORWARD_TIMEOUT_MS);
      sock.on('message', (msg) => {
        clearTimeout(timer);
        sock.close();
        resolve(msg);
      });
      sock.on('error', () => {
        clearTimeout(timer);
        sock.close();
        next();
      });
      sock.send(raw, up.port, up.host);
    };
    next();
  });
}

export async function startDnsServer(o: DnsServerOptions): Promise<RunningDnsServer> {
  let queries = 0;
  let forwarded = 0;

  /** One query in, one response out (undefined: drop it). */
  const handle = async (raw: Buffer, overUdp: boolean): Promise<Buffer | undefined> => {
    if (!packet) await loadPacket();
    let q: Query;
    try {
      q = packet.decode(raw) as Query;
    } catch {
      if (raw.length < 12) return undefined;
      const id = raw.readUInt16BE(0);
      return packet.encode({ id, type: 'response', flags: RCODES.FORMERR!, questions: [], answers: [] } as DnsPacket.Packet);
    }
    if (q.type !== 'query') return undefined;
    queries++;
    const opcode = ((q.flags ?? 0) >> 11) & 0xf;
    const question = q.questions?.[0];
    if (opcode !== 0) return packet.encode(reply(q, 'NOTIMP', false));
    if (!question || (q.questions?.length ?? 0) !== 1) return packet.encode(reply(q, 'FORMERR', false));
    const ans = o.resolver.answer(question.name, question.type);
    if (ans.kind === 'forward') {
      forwarded++;
      const res = o.upstreams.length ? await forward(raw, o.upstreams) : undefined;
      return res ?? packet.encode(reply(q, 'SERVFAIL', false));
    }
    let out = packet.encode(reply(q, ans.rcode, true, ans));
    if (overUdp && out.length > udpLimit(q)) {
      // Too big for UDP: the truncated flag sends the client to TCP.
      const r = reply(q, ans.rcode, true);
      (r as { flags: number }).flags |= packet.TRUNCATED_RESPONSE;
      out = packet.encode(r);
    }
    return out;
  };

  const family = o.address.includes(':') ? 'udp6' : 'udp4';
  const udp = dgram.createSocket({ type: family, reuseAddr: false });
  udp.on('message', (msg, rinfo) => {
    handle(msg, true).then(
      (res) => {
        if (res) udp.send(res, rinfo.port, rinfo.address);
      },
      (err) => log.warn({ err: (err as Error).message }, 'answering a UDP query failed'),
    );
  });
  udp.on('error', (err) => log.warn({ err: err.message }, 'DNS UDP socket error'));

  const tcp = net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.setTimeout(10_000, () => sock.destroy());
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      // Each message carries a two-byte length (RFC 1035 4.2.2); a connection may carry several.
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        handle(Buffer.from(msg), false).then(
          (res) => {
            if (!res || sock.destroyed) return;
            const head = Buffer.alloc(2);
            head.writeUInt16BE(res.length);
            sock.write(Buffer.concat([head, res]));
          },
          (err) => log.warn({ err: (err as Error).message }, 'answering a TCP query failed'),
        );
      }
    });
  });

  // UDP and TCP share a port: with port 0 TCP takes UDP's pick, and a pick TCP finds taken starts over.
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(o.port, o.address, () => {
      udp.off('error', reject);
      resolve();
    });
  });
  const port = udp.address().port;
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, o.address, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((r) => udp.close(() => r()));
    if (o.port !== 0) throw err;
    return startDnsServer(o);
  }
  log.info({ address: o.address, port: (tcp.address() as AddressInfo).port, domain: o.resolver.domain, upstreams: o.upstreams.map((u) => `${u.host}:${u.port}`) }, 'cluster DNS listening (UDP and TCP)');
  return {
    address: o.address,
    port,
    stats: () => ({ queries, forwarded }),
    close: () =>
      new Promise<void>((resolve) => {
        udp.close();
        tcp.close(() => resolve());
      }),
  };
}
