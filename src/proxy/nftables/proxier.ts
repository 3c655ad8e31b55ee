import type { Logger } from '../../util/log.js';
import type { Exec } from '../exec.js';
import type { ProxyState } from '../state.js';
import type { SyncResult } from '../iptables/proxier.js';
import { nodeAddresses } from '../addresses.js';
import { assembleFull, assemblePartial, isEmpty, renderService, type Change, type NftOptions, type ServiceNft } from './rules.js';

// The nftables proxier: one `nft -f -` transaction per sync. A full sync
// (start, hourly, after a failure) writes the whole table; a partial one
// sends only the changed services' chains and map elements, so its size does
// not grow with the cluster.

const FULL_SYNC_PERIOD_MS = 3_600_000;

export interface NftablesProxierOptions {
  exec: Exec;
  state: ProxyState;
  log: Logger;
  masqueradeAll?: boolean;
  clusterCIDR?: string;
  nodePortAddresses?: string[];
  nftCommand?: string;
}

export class NftablesProxier {
  private readonly rendered = new Map<string, ServiceNft>();
  /** The state version each rendered service was made from, and the options all of them were made with. */
  private readonly renderedVersion = new Map<string, number>();
  private renderedWith = '';
  /** Endpoint address → number of services that may send it traffic (its endpoint-hairpin element lives while > 0). */
  private readonly hairpin = new Map<string, number>();
  private needFull = true;
  private lastFull = -Infinity;
  private readonly opts: NftOptions;

  constructor(private readonly o: NftablesProxierOptions) {
    this.opts = { masqueradeAll: !!o.masqueradeAll, clusterCIDR: o.clusterCIDR, nodePortIPs: [], masqueradeMark: '0x4000' };
  }

  requestFullSync(): void {
    this.needFull = true;
  }

  /** The --sync-period tick: partial, except once an hour (as the iptables proxier). */
  periodic(): void {
    if (performance.now() - this.lastFull > FULL_SYNC_PERIOD_MS) this.needFull = true;
  }

  async sync(): Promise<SyncResult> {
    const t0 = performance.now();
    const full = this.needFull;
    const dirty = this.o.state.takeDirty();
    try {
      return full ? await this.syncFull(t0) : await this.syncPartial(dirty, t0);
    } catch (err) {
      // What the kernel holds is now unknown: rewrite the table next time.
      this.needFull = true;
      this.renderedWith = '';
      throw err;
    }
  }

  private async syncFull(t0: number): Promise<SyncResult> {
    const state = this.o.state;
    this.opts.nodePortIPs = this.o.nodePortAddresses?.length ? await nodeAddresses(this.o.exec, this.o.nodePortAddresses) : [];
    // Every service is written again, but rendered again only if it changed since it was rendered.
    const with_ = this.opts.nodePortIPs.join(',');
    const reuse = with_ === this.renderedWith;
    this.renderedWith = with_;
    for (const key of this.rendered.keys()) {
      if (state.services.has(key)) continue;
      this.rendered.delete(key);
      this.renderedVersion.delete(key);
    }
    this.hairpin.clear();
    let endpoints = 0;
    for (const key of state.services.keys()) {
      const v = state.version(key);
      let r = this.rendered.get(key);
      if (!r || !reuse || this.renderedVersion.get(key) !== v) {
        r = renderService(state.resolve(key), this.opts);
        this.renderedVersion.set(key, v);
      }
      if (isEmpty(r)) {
        this.rendered.delete(key);
        this.renderedVersion.delete(key);
        continue;
      }
      this.rendered.set(key, r);
      endpoints += r.endpointCount;
      for (const ip of r.endpointIPs) this.hairpin.set(ip, (this.hairpin.get(ip) ?? 0) + 1);
    }
    const text = assembleFull(this.rendered.values(), this.opts, this.hairpin.keys());
    const renderMs = performance.now() - t0;
    const restoreMs = await this.apply(text);
    this.needFull = false;
    this.lastFull = performance.now();
    return { full: true, services: this.rendered.size, rendered: this.rendered.size, endpoints, bytes: text.length, renderMs, restoreMs, totalMs: performance.now() - t0 };
  }

  private async syncPartial(dirty: Set<string>, t0: number): Promise<SyncResult> {
    const state = this.o.state;
    const changes: Change[] = [];
    // Which endpoint addresses had a hairpin element before this batch: only the net change is written.
    const had = new Map<string, boolean>();
    const count = (ip: string, d: number): void => {
      const n = this.hairpin.get(ip) ?? 0;
      if (!had.has(ip)) had.set(ip, n > 0);
      if (n + d > 0) this.hairpin.set(ip, n + d);
      else this.hairpin.delete(ip);
    };
    for (const key of dirty) {
      const before = this.rendered.get(key);
      let after: ServiceNft | undefined = renderService(state.resolve(key), this.opts);
      if (isEmpty(after)) after = undefined;
      if (!before && !after) continue;
      changes.push({ before, after });
      if (after) {
        this.rendered.set(key, after);
        this.renderedVersion.set(key, state.version(key));
      } else {
        this.rendered.delete(key);
        this.renderedVersion.delete(key);
      }
      for (const ip of after?.endpointIPs ?? []) count(ip, 1);
      for (const ip of before?.endpointIPs ?? []) count(ip, -1);
    }
    const hairpin = { add: [] as string[], del: [] as string[] };
    for (const [ip, was] of had) {
      const now = this.hairpin.has(ip);
      if (now && !was) hairpin.add.push(ip);
      else if (was && !now) hairpin.del.push(ip);
    }
    const text = assemblePartial(changes, hairpin);
    const renderMs = performance.now() - t0;
    let endpoints = 0;
    for (const r of this.rendered.values()) endpoints += r.endpointCount;
    if (!text) return { full: false, services: this.rendered.size, rendered: 0, endpoints, bytes: 0, renderMs, restoreMs: 0, totalMs: performance.now() - t0 };
    const restoreMs = await this.apply(text);
    return { full: false, services: this.rendered.size, rendered: changes.length, endpoints, bytes: text.length, renderMs, restoreMs, totalMs: performance.now() - t0 };
  }

  /** One `nft -f -` transaction; its time. */
  private async apply(text: string): Promise<number> {
    const t = performance.now();
    const r = await this.o.exec.run(this.o.nftCommand ?? 'nft', ['-f', '-'], text);
    const ms = performance.now() - t;
    if (r.code !== 0) {
      const line = /^[^:]*:(\d+):/m.exec(r.stderr)?.[1];
      const near = line ? text.split('\n').slice(Math.max(0, Number(line) - 2), Number(line) + 1) : [];
      throw new Error(`nft failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(0, 3).join(' ')}${near.length ? `; near: ${near.join(' | ').slice(0, 500)}` : ''}`);
    }
    return ms;
  }
}
