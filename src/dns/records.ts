// How the cluster DNS answers a question, as CoreDNS's kubernetes plugin
// (the DNS specification for Kubernetes): Services under
// SVC.NS.svc.DOMAIN, headless Services' endpoints, SRV records for named
// ports, PTR records for Service and endpoint addresses, pod A records
// (1-2-3-4.NS.pod.DOMAIN), and NXDOMAIN with the zone's SOA for anything
// else inside the domain. Names outside it are the forwarder's.

export const TTL = 5;

export interface ServiceLike {
  metadata: { name?: string; namespace?: string };
  spec?: any;
}

export interface SliceLike {
  metadata: { name?: string; namespace?: string; labels?: Record<string, string> };
  addressType?: string;
  endpoints?: { addresses: string[]; hostname?: string; conditions?: { ready?: boolean } }[] | null;
  ports?: { name?: string; port?: number; protocol?: string }[] | null;
}

/** What the resolver reads: the informers' caches, behind one seam so tests can hand it plain objects. */
export interface ClusterView {
  service(namespace: string, name: string): ServiceLike | undefined;
  slices(namespace: string, service: string): SliceLike[];
  hasNamespace(namespace: string): boolean;
  /** Fully qualified names (no trailing dot) for an address: Services' and endpoints'. */
  reverse(ip: string): string[];
}

export interface Record_ {
  type: 'A' | 'AAAA' | 'CNAME' | 'SRV' | 'PTR' | 'SOA' | 'NS';
  name: string;
  ttl: number;
  class: 'IN';
  data: any;
}

export type Answer =
  | { kind: 'answer'; rcode: 'NOERROR' | 'NXDOMAIN'; answers: Record_[]; authorities: Record_[]; additionals: Record_[] }
  | { kind: 'forward' };

const family = (ip: string): 'A' | 'AAAA' => (ip.includes(':') ? 'AAAA' : 'A');

export function dashed(ip: string): string {
  return ip.includes(':') ? ip.replace(/:/g, '-') : ip.replace(/\./g, '-');
}

function undash(label: string): string | undefined {
  const v4 = label.split('-');
  if (v4.length === 4 && v4.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return v4.join('.');
  if (/^[0-9a-f-]+$/.test(label) && label.includes('-') && v4.length > 4) return label.replace(/-/g, ':');
  return undefined;
}

function readyEndpoints(slices: SliceLike[]): { ip: string; hostname?: string; slice: SliceLike }[] {
  const out: { ip: string; hostname?: string; slice: SliceLike }[] = [];
  const seen = new Set<string>();
  for (const s of slices) {
    for (const ep of s.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      for (const ip of ep.addresses ?? []) {
        if (seen.has(ip)) continue;
        seen.add(ip);
        out.push({ ip, hostname: ep.hostname, slice: s });
      }
    }
  }
  return out;
}

export function isHeadless(svc: ServiceLike): boolean {
  return svc.spec?.clusterIP === 'None';
}

export class Resolver {
  readonly domain: string;

  constructor(
    private readonly view: ClusterView,
    domain: string,
  ) {
    this.domain = domain.toLowerCase().replace(/\.$/, '');
  }

  soa(): Record_ {
    return {
      type: 'SOA',
      name: this.domain,
      ttl: TTL,
      class: 'IN',
      data: { mname: `ns.dns.${this.domain}`, rname: `hostmaster.${this.domain}`, serial: Math.floor(Date.now() / 1000), refresh: 7200, retry: 1800, expire: 86400, minimum: TTL },
    };
  }

  private nx(): Answer {
    return { kind: 'answer', rcode: 'NXDOMAIN', answers: [], authorities: [this.soa()], additionals: [] };
  }

  private ok(answers: Record_[], additionals: Record_[] = []): Answer {
    // No record of the asked type for a name that exists: NODATA (NOERROR with the SOA).
    return { kind: 'answer', rcode: 'NOERROR', answers, authorities: answers.length ? [] : [this.soa()], additionals };
  }

  private rr(type: Record_['type'], name: string, data: unknown): Record_ {
    return { type, name, ttl: TTL, class: 'IN', data };
  }

  answer(qname: string, qtype: string): Answer {
    const name = qname.toLowerCase().replace(/\.$/, '');
    if (name.endsWith('.in-addr.arpa') || name.endsWith('.ip6.arpa')) return this.reverse(name, qname, qtype);
    if (name !== this.domain && !name.endsWith('.' + this.domain)) return { kind: 'forward' };
    if (name === this.domain) {
      if (qtype === 'SOA') return this.ok([this.soa()]);
      if (qtype === 'NS') return this.ok([this.rr('NS', qname, `ns.dns.${this.domain}`)]);
      return this.ok([]);
    }
    const labels = name.slice(0, -(this.domain.length + 1)).split('.');
    const zone = labels[labels.length - 1];
    if (zone === 'svc') return this.serviceZone(labels.slice(0, -1), qname, qtype);
    if (zone === 'pod' && labels.length === 3) {
      const ip = undash(labels[0]!);
      // As CoreDNS's "pods insecure" (its default): the name carries the address, nothing is looked up.
      if (!ip) return this.nx();
      return this.ok(family(ip) === qtype ? [this.rr(family(ip), qname, ip)] : []);
    }
    if (zone === 'pod' && labels.length <= 2) return this.ok([]);
    return this.nx();
  }

  private serviceZone(l: string[], qname: string, qtype: string): Answer {
    // svc.DOMAIN and NS.svc.DOMAIN exist as names without records.
    if (l.length === 0) return this.ok([]);
    if (l.length === 1) return this.view.hasNamespace(l[0]!) ? this.ok([]) : this.nx();
    if (l.length === 2) return this.serviceRecord(l[1]!, l[0]!, qname, qtype);
    if (l.length === 3) return this.endpointRecord(l[2]!, l[1]!, l[0]!, qname, qtype);
    if (l.length === 4 && l[0]!.startsWith('_') && l[1]!.startsWith('_')) return this.srvRecord(l[3]!, l[2]!, l[0]!.slice(1), l[1]!.slice(1), qname, qtype);
    return this.nx();
  }

  private serviceRecord(ns: string, name: string, qname: string, qtype: string): Answer {
    const svc = this.view.service(ns, name);
    if (!svc) return this.nx();
    const spec = svc.spec ?? {};
    if (spec.type === 'ExternalName') {
      const target = String(spec.externalName ?? '').replace(/\.$/, '');
      return this.ok(qtype === 'A' || qtype === 'AAAA' || qtype === 'CNAME' || qtype === 'ANY' ? [this.rr('CNAME', qname, target)] : []);
    }
    if (qtype === 'SRV') return this.allPortsSrv(svc, qname);
    if (isHeadless(svc)) {
      const eps = readyEndpoints(this.view.slices(ns, name));
      if (!eps.length) return this.nx();
      return this.ok(eps.filter((e) => family(e.ip) === qtype || qtype === 'ANY').map((e) => this.rr(family(e.ip), qname, e.ip)));
    }
    const ips: string[] = (spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP]).filter((ip: unknown): ip is string => typeof ip === 'string' && ip !== '' && ip !== 'None');
    return this.ok(ips.filter((ip) => family(ip) === qtype || qtype === 'ANY').map((ip) => this.rr(family(ip), qname, ip)));
  }

  private endpointRecord(ns: string, svcName: string, ep: string, qname: string, qtype: string): Answer {
    const svc = this.view.service(ns, svcName);
    if (!svc) return this.nx();
    const match = readyEndpoints(this.view.slices(ns, svcName)).filter((e) => (e.hostname ? e.hostname.toLowerCase() === ep : dashed(e.ip) === ep));
    if (!match.length) return this.nx();
    return this.ok(match.filter((e) => family(e.ip) === qtype || qtype === 'ANY').map((e) => this.rr(family(e.ip), qname, e.ip)));
  }

  private fqdn(...parts: string[]): string {
    return [...parts, 'svc', this.domain].join('.');
  }

  private srvFor(svc: ServiceLike, qname: string, match: (p: { name?: string; protocol?: string }) => boolean): { answers: Record_[]; additionals: Record_[] } | undefined {
    const ns = svc.metadata.namespace!;
    const name = svc.metadata.name!;
    const answers: Record_[] = [];
    const additionals: Record_[] = [];
    if (isHeadless(svc)) {
      const eps = readyEndpoints(this.view.slices(ns, name));
      for (const e of eps) {
        for (const p of e.slice.ports ?? []) {
          if (!match(p) || !p.port) continue;
          const target = this.fqdn(e.hostname ?? dashed(e.ip), name, ns);
          answers.push(this.rr('SRV', qname, { priority: 0, weight: 0, port: p.port, target }));
          additionals.push(this.rr(family(e.ip), target, e.ip));
        }
      }
    } else {
      const target = this.fqdn(name, ns);
      const ips: string[] = (svc.spec?.clusterIPs ?? [svc.spec?.clusterIP]).filter((ip: unknown) => typeof ip === 'string' && ip && ip !== 'None');
      for (const p of svc.spec?.ports ?? []) {
        if (!match(p)) continue;
        answers.push(this.rr('SRV', qname, { priority: 0, weight: 0, port: p.port, target }));
      }
      if (answers.length) for (const ip of ips) additionals.push(this.rr(family(ip), target, ip));
    }
    if (!answers.length) return undefined;
    // CoreDNS spreads weight evenly: 100 split among the records.
    const w = Math.floor(100 / answers.length);
    for (const a of answers) a.data.weight = w;
    return { answers, additionals };
  }

  private allPortsSrv(svc: ServiceLike, qname: string): Answer {
    const r = this.srvFor(svc, qname, (p) => !!p.name);
    return r ? this.ok(r.answers, r.additionals) : this.ok([]);
  }

  private srvRecord(ns: string, svcName: string, port: string, proto: string, qname: string, qtype: string): Answer {
    const svc = this.view.service(ns, svcName);
    if (!svc) return this.nx();
    const r = this.srvFor(svc, qname, (p) => (p.name ?? '').toLowerCase() === port && (p.protocol ?? 'TCP').toLowerCase() === proto);
    if (!r) return this.nx();
    return qtype === 'SRV' || qtype === 'ANY' ? this.ok(r.answers, r.additionals) : this.ok([]);
  }

  private reverse(name: string, qname: string, qtype: string): Answer {
    let ip: string | undefined;
    if (name.endsWith('.in-addr.arpa')) {
      const parts = name.slice(0, -'.in-addr.arpa'.length).split('.');
      if (parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p))) ip = parts.reverse().join('.');
    } else {
      const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
      if (nibbles.length === 32 && nibbles.every((n) => /^[0-9a-f]$/.test(n))) {
        const hex = nibbles.reverse().join('');
        ip = (hex.match(/.{4}/g) ?? []).map((g) => g.replace(/^0+(?=.)/, '')).join(':');
      }
    }
    const names = ip ? this.view.reverse(ip) : [];
    if (!names.length) return { kind: 'forward' };
    return this.ok(qtype === 'PTR' || qtype === 'ANY' ? names.map((n) => this.rr('PTR', qname, n)) : []);
  }
}
