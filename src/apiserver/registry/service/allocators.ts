// What the Service registry does around a write, as upstream's
// pkg/registry/core/service/storage/alloc.go: fill in and check the IP
// family fields, take cluster IPs and node ports before the Service is
// stored, and give them back when the write fails, the type changes or the
// Service goes. Every step returns a transaction so the caller can commit
// (release what the new object no longer holds) or revert (release what
// this write took) once the store has answered.

import type { KubeObject } from '../../../api/types.js';
import { internalError, invalid } from '../../../api/errors.js';
import { goStringSlice, type FieldError } from '../../../api/validation/field.js';
import { invalid as fieldInvalid } from '../../../api/validation/field.js';
import { AllocationError, type RangeAllocator } from './range-allocator.js';
import { logger } from '../../../util/log.js';

const log = logger('apiserver');

export interface Txn {
  commit(): Promise<void>;
  revert(): Promise<void>;
}

type Svc = KubeObject & { spec?: any };

const specOf = (s: Svc): any => (s.spec ??= {});
const isV6 = (ip: string): boolean => ip.includes(':');

export function needsClusterIP(s: Svc): boolean {
  const spec = specOf(s);
  if (spec.type === 'ExternalName') return false;
  return spec.clusterIP !== 'None' && spec.clusterIPs?.[0] !== 'None';
}

export function needsNodePorts(s: Svc): boolean {
  const t = specOf(s).type;
  return t === 'NodePort' || t === 'LoadBalancer';
}

function shouldAllocateNodePorts(s: Svc): boolean {
  const spec = specOf(s);
  if (spec.type === 'NodePort') return true;
  return spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false;
}

/** Upstream's apiservice.NeedsHealthCheck: a LoadBalancer that keeps traffic on the node it arrives at. */
export function needsHealthCheck(s: Svc): boolean {
  const spec = specOf(s);
  return spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

/** Every node port the Service holds (ports and the health check's), de-duplicated. */
export function nodePortsOf(s: Svc): number[] {
  const spec = specOf(s);
  const out = new Set<number>();
  for (const p of spec.ports ?? []) if (typeof p?.nodePort === 'number' && p.nodePort > 0) out.add(p.nodePort);
  if (typeof spec.healthCheckNodePort === 'number' && spec.healthCheckNodePort > 0) out.add(spec.healthCheckNodePort);
  return [...out];
}

export function clusterIPsOf(s: Svc): string[] {
  const spec = specOf(s);
  if (spec.type === 'ExternalName') return [];
  const ips: string[] = Array.isArray(spec.clusterIPs) && spec.clusterIPs.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  return ips.filter((ip) => ip && ip !== 'None');
}

/** A node-port step: values taken now, values to give back on commit. */
class PortOp {
  readonly taken: number[] = [];
  readonly toRelease: number[] = [];
  constructor(
    private readonly alloc: RangeAllocator<number>,
    private readonly dryRun: boolean,
  ) {}
  async allocate(port: number): Promise<void> {
    await this.alloc.allocate(port, this.dryRun);
    this.taken.push(port);
  }
  async allocateNext(): Promise<number> {
    const p = await this.alloc.allocateNext(this.dryRun);
    this.taken.push(p);
    return p;
  }
}

export class ServiceAllocators {
  constructor(
    readonly ips: RangeAllocator<string>,
    readonly ports: RangeAllocator<number>,
  ) {}

  private txn(dryRun: boolean, ips: { taken: string[]; release: string[] }, ports: { taken: number[]; release: number[] }): Txn {
    const safe = async (what: string, f: () => Promise<void>) => {
      try {
        await f();
      } catch (err) {
        // The repair pass finds what a failed release leaves behind.
        log.warn({ err: (err as Error).message }, `could not ${what}`);
      }
    };
    return {
      commit: async () => {
        if (dryRun) return;
        if (ips.release.length) await safe('release cluster IPs', () => this.ips.release(ips.release));
        if (ports.release.length) await safe('release node ports', () => this.ports.release(ports.release));
      },
      revert: async () => {
        if (dryRun) return;
        if (ips.taken.length) await safe('release cluster IPs', () => this.ips.release(ips.taken));
        if (ports.taken.length) await safe('release node ports', () => this.ports.release(ports.taken));
      },
    };
  }

  /** Upstream's initIPFamilyFields for a cluster with one IPv4 range. */
  private initIPFamilyFields(s: Svc, old: Svc | undefined): void {
    const spec = specOf(s);
    if (spec.type === 'ExternalName') return;
    if (old && spec.ipFamilyPolicy === undefined) spec.ipFamilyPolicy = specOf(old).ipFamilyPolicy;
    const errs: FieldError[] = [];
    const ips: string[] = spec.clusterIPs ?? [];
    ips.forEach((ip, i) => {
      if (ip === 'None') return;
      if (isV6(ip) && i >= (spec.ipFamilies ?? []).length) errs.push(fieldInvalid(`spec.clusterIPs[${i}]`, goStringSlice(ips), 'IPv6 is not configured on this cluster'));
    });
    if (errs.length) throw invalid('Service', '', s.metadata.name ?? '', errs);
    const headlessSelectorless = spec.clusterIP === 'None' && !Object.keys(spec.selector ?? {}).length;
    if (headlessSelectorless) return;
    if (spec.ipFamilyPolicy === 'RequireDualStack') errs.push(fieldInvalid('spec.ipFamilyPolicy', 'RequireDualStack', 'this cluster is not configured for dual-stack services'));
    (spec.ipFamilies ?? []).forEach((f: string, i: number) => {
      if (f !== 'IPv4') errs.push(fieldInvalid(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster'));
    });
    if (errs.length) throw invalid('Service', '', s.metadata.name ?? '', errs);
    if (!spec.ipFamilies?.length) spec.ipFamilies = ['IPv4'];
  }

  private async allocClusterIP(s: Svc, dryRun: boolean): Promise<string[]> {
    if (!needsClusterIP(s)) return [];
    const spec = specOf(s);
    const want: string = spec.clusterIPs?.[0] || spec.clusterIP || '';
    let ip: string;
    if (!want) {
      try {
        ip = await this.ips.allocateNext(dryRun);
      } catch (err) {
        if (err instanceof AllocationError) throw internalError(`failed to allocate a serviceIP: ${err.message}`);
        throw err;
      }
    } else {
      try {
        await this.ips.allocate(want, dryRun);
      } catch (err) {
        if (err instanceof AllocationError) {
          throw invalid('Service', '', s.metadata.name ?? '', [fieldInvalid('spec.clusterIPs', goStringSlice(spec.clusterIPs ?? [want]), `failed to allocate IP ${want}: ${err.message}`)]);
        }
        throw err;
      }
      ip = want;
    }
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
    return [ip];
  }

  private portInvalid(s: Svc, i: number, np: number, err: unknown): never {
    if (err instanceof AllocationError) throw invalid('Service', '', s.metadata.name ?? '', [fieldInvalid(`spec.ports[${i}].nodePort`, np, err.message)]);
    throw err;
  }

  /** Upstream's initNodePorts: ports sharing a port number share a node port. */
  private async initNodePorts(s: Svc, op: PortOp): Promise<void> {
    const ports: any[] = specOf(s).ports ?? [];
    const byPort = new Map<number, number>();
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i];
      if (!p.nodePort && !shouldAllocateNodePorts(s)) continue;
      const have = byPort.get(p.port);
      if (have === undefined) {
        const requested = p.nodePort || ports.slice(i).find((q) => q.port === p.port && q.nodePort)?.nodePort || 0;
        if (requested) {
          try {
            await op.allocate(requested);
          } catch (err) {
            this.portInvalid(s, i, requested, err);
          }
          p.nodePort = requested;
        } else {
          try {
            p.nodePort = await op.allocateNext();
          } catch (err) {
            if (err instanceof AllocationError) throw internalError(`failed to allocate a nodePort: ${err.message}`);
            throw err;
          }
        }
        byPort.set(p.port, p.nodePort);
      } else if (p.nodePort !== have) {
        if (!p.nodePort) p.nodePort = have;
        else {
          try {
            await op.allocate(p.nodePort);
          } catch (err) {
            this.portInvalid(s, i, p.nodePort, err);
          }
        }
      }
    }
  }

  private async allocHealthCheckNodePort(s: Svc, op: PortOp): Promise<void> {
    const spec = specOf(s);
    const want: number = spec.healthCheckNodePort ?? 0;
    try {
      if (want) await op.allocate(want);
      else spec.healthCheckNodePort = await op.allocateNext();
    } catch (err) {
      if (!(err instanceof AllocationError)) throw err;
      throw internalError(want ? `failed to allocate requested HealthCheck NodePort ${want}: ${err.message}` : `failed to allocate a HealthCheck NodePort 0: ${err.message}`);
    }
  }

  /** Before a create is stored. */
  async allocateCreate(s: Svc, dryRun: boolean): Promise<Txn> {
    this.initIPFamilyFields(s, undefined);
    const ips = await this.allocClusterIP(s, dryRun);
    const op = new PortOp(this.ports, dryRun);
    try {
      if (needsNodePorts(s)) await this.initNodePorts(s, op);
      if (needsHealthCheck(s)) await this.allocHealthCheckNodePort(s, op);
    } catch (err) {
      await this.txn(dryRun, { taken: ips, release: [] }, { taken: op.taken, release: [] }).revert();
      throw err;
    }
    return this.txn(dryRun, { taken: ips, release: [] }, { taken: op.taken, release: [] });
  }

  /** Upstream's patchAllocatedValues: a client that omits allocated values keeps them. */
  private patchAllocatedValues(s: Svc, old: Svc): void {
    const spec = specOf(s);
    const o = specOf(old);
    if (needsClusterIP(old) && needsClusterIP(s)) {
      if (!spec.clusterIP) spec.clusterIP = o.clusterIP;
      if (!spec.clusterIPs?.length && o.clusterIPs?.length) spec.clusterIPs = [...o.clusterIPs];
    }
    if (needsNodePorts(old) && needsNodePorts(s)) {
      const used = (svc: Svc) => new Set<number>((specOf(svc).ports ?? []).map((p: any) => p.nodePort).filter((n: unknown) => typeof n === 'number' && n > 0));
      const newUsed = used(s);
      const inBoth = new Set([...used(old)].filter((n) => newUsed.has(n)));
      const byName = new Map<string, number>();
      for (const p of o.ports ?? []) byName.set(p.name ?? '', p.nodePort);
      for (const p of spec.ports ?? []) {
        if (p.nodePort) continue;
        const prev = byName.get(p.name ?? '');
        if (prev && !inBoth.has(prev)) p.nodePort = prev;
      }
    }
    if (needsHealthCheck(old) && needsHealthCheck(s) && !spec.healthCheckNodePort) spec.healthCheckNodePort = o.healthCheckNodePort;
  }

  /** Before an update is stored. */
  async allocateUpdate(s: Svc, old: Svc, dryRun: boolean): Promise<Txn> {
    this.patchAllocatedValues(s, old);
    this.initIPFamilyFields(s, old);
    const spec = specOf(s);
    const o = specOf(old);
    let ipTaken: string[] = [];
    let ipRelease: string[] = [];
    if (o.type === 'ExternalName' && spec.type !== 'ExternalName') ipTaken = await this.allocClusterIP(s, dryRun);
    else if (needsClusterIP(old) && spec.type === 'ExternalName') ipRelease = clusterIPsOf(old);
    const op = new PortOp(this.ports, dryRun);
    try {
      const oldPorts = nodePortsOf(old);
      if (needsNodePorts(old) && !needsNodePorts(s)) {
        // NodePort or LoadBalancer to ClusterIP or ExternalName: every node port goes.
        op.toRelease.push(...oldPorts);
        for (const p of spec.ports ?? []) delete p.nodePort;
      }
      if (needsNodePorts(s)) {
        const ports: any[] = spec.ports ?? [];
        const oldPortNumbers = new Set((o.ports ?? []).map((p: any) => p.nodePort).filter(Boolean));
        const seen = new Set<number>();
        for (let i = 0; i < ports.length; i++) {
          const p = ports[i];
          if (!p.nodePort && !shouldAllocateNodePorts(s)) continue;
          if (p.nodePort) {
            if (!oldPortNumbers.has(p.nodePort) && !seen.has(p.nodePort)) {
              try {
                await op.allocate(p.nodePort);
              } catch (err) {
                this.portInvalid(s, i, p.nodePort, err);
              }
            }
          } else {
            try {
              p.nodePort = await op.allocateNext();
            } catch (err) {
              if (err instanceof AllocationError) throw internalError(`failed to allocate a nodePort: ${err.message}`);
              throw err;
            }
          }
          seen.add(p.nodePort);
        }
        for (const n of oldPortNumbers as Set<number>) if (!seen.has(n)) op.toRelease.push(n);
      }
      // The health check's node port follows externalTrafficPolicy: Local on a LoadBalancer.
      const hadHC = needsHealthCheck(old) ? (o.healthCheckNodePort ?? 0) : 0;
      if (needsHealthCheck(s)) {
        if (!hadHC) await this.allocHealthCheckNodePort(s, op);
        else if (spec.healthCheckNodePort !== hadHC) {
          throw invalid('Service', '', s.metadata.name ?? '', [fieldInvalid('spec.healthCheckNodePort', spec.healthCheckNodePort ?? 0, 'field is immutable')]);
        }
      } else {
        if (hadHC) op.toRelease.push(hadHC);
        delete spec.healthCheckNodePort;
      }
    } catch (err) {
      await this.txn(dryRun, { taken: ipTaken, release: [] }, { taken: op.taken, release: [] }).revert();
      throw err;
    }
    // A port still held by another port of the new object is not given back.
    const keep = new Set(nodePortsOf(s));
    return this.txn(dryRun, { taken: ipTaken, release: ipRelease }, { taken: op.taken, release: op.toRelease.filter((p) => !keep.has(p)) });
  }

  /** After a Service is gone. */
  async releaseAll(s: Svc): Promise<void> {
    await this.txn(false, { taken: clusterIPsOf(s).filter((ip) => !isV6(ip)), release: [] }, { taken: nodePortsOf(s), release: [] }).revert();
  }
}
