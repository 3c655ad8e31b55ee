import type { Logger } from '../../util/log.js';
import type { Exec } from '../exec.js';
import type { ProxyState } from '../state.js';
import type { IPFamily } from '../types.js';
import type { SyncResult } from '../iptables/proxier.js';
import { nodeAddresses } from '../addresses.js';
import { NftSession, NftSessionError, SESSION_MAX_BYTES } from './session.js';
import { assembleFull, assemblePartial, FAMILIES, isEmpty, renderService, splitMaps, type Change, type NftOptions, type ServiceNft } from './rules.js';

// The nftables proxier: one `nft -f -` transaction per sync, covering the
// table of each IP family it runs (`ip kube-proxy`, and `ip6 kube-proxy` on a
// dual-stack node, as upstream's pair of single-stack proxiers). A full sync
// (start, hourly, after a failure) writes the tables whole; a partial one
// sends only the changed services' chains and map elements, so its size does
// not grow with the cluster. Partial syncs go to one long-running `nft -i`
// (session.ts) when the Exec can start one; a full sync, and any partial one
// the session fails, is a fresh `nft -f`.

const FULL_SYNC_PERIOD_MS = 3_600_000;
/** backends- maps of lb chains with a map per index a table may have (rules.ts: the kernel's cost of named sets grows with the square of their number). */
const SPLIT_MAPS_MAX = 1024;

export interface NftablesProxierOptions {
  exec: Exec;
  state: ProxyState;
  log: Logger;
  masqueradeAll?: boolean;
  /** The pod network; "v4cidr,v6cidr" on a dual-stack cluster (each family's rules use its own). */
  clusterCIDR?: string;
  /** CIDRs of the IPv4 addresses NodePorts answer on (IPv6 NodePorts answer on every non-loopback address). */
  nodePortAddresses?: string[];
  /** The families to proxy; IPv4 alone by default. */
  ipFamilies?: IPFamily[];
  nftCommand?: string;
  /** false: every transaction runs a fresh `nft -f` (default: partial syncs go to `nft -i` where exec can start it). */
  interactive?: boolean;
}

/** What the proxier holds for one family's table. */
interface Family {
  ipFamily: IPFamily;
  opts: NftOptions;
  rendered: Map<string, ServiceNft>;
  /** The state version each rendered service was made from. */
  renderedVersion: Map<string, number>;
  /** The ids of the lb- chains and backends- maps the table has. */
  lbSizes: Set<string>;
  /** The lb chains with a map per index that services were rendered with since the last full sync, and their number of maps. */
  split: Map<string, number>;
  splitTotal: number;
}

export class NftablesProxier {
  private readonly families: Family[];
  /** The options all rendered services were made with (a change re-renders every service). */
  private renderedWith = '';
  private needFull = true;
  private lastFull = -Infinity;
  private session?: NftSession;
  private closed = false;

  constructor(private readonly o: NftablesProxierOptions) {
    const cidrs = (o.clusterCIDR ?? '').split(',').map((c) => c.trim()).filter(Boolean);
    this.families = (o.ipFamilies ?? ['IPv4']).map((ipFamily) => ({
      ipFamily,
      opts: {
        family: FAMILIES[ipFamily],
        masqueradeAll: !!o.masqueradeAll,
        clusterCIDR: cidrs.find((c) => c.includes(':') === (ipFamily === 'IPv6')),
        nodePortIPs: [],
        masqueradeMark: '0x4000',
      },
      rendered: new Map(),
      renderedVersion: new Map(),
      lbSizes: new Set(),
      split: new Map(),
      splitTotal: 0,
    }));
    for (const f of this.families) {
      f.opts.lbSplit = (id, n) => {
        if (f.split.has(id)) return true;
        if (f.splitTotal + n > SPLIT_MAPS_MAX) return false;
        f.split.set(id, n);
        f.splitTotal += n;
        return true;
      };
    }
    const exec = o.exec;
    if (o.interactive !== false && exec.start) this.session = new NftSession(() => exec.start!(o.nftCommand ?? 'nft', ['-i']));
  }

  /** CPU time of the running `nft -i`, ms (benchmarks: a waited-for child's time is counted by the kernel, this one's is not). */
  sessionCpuMs(): number {
    return this.session?.cpuMs() ?? 0;
  }

  /** Ends the `nft -i` process; syncs after this fail. */
  async close(): Promise<void> {
    this.closed = true;
    await this.session?.close();
  }

  /** The nft families of the tables this proxier writes. */
  get tables(): string[] {
    return this.families.map((f) => f.opts.family!);
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
    if (this.closed) throw new Error('nftables proxier closed');
    const full = this.needFull;
    const dirty = this.o.state.takeDirty();
    try {
      return full ? await this.syncFull(t0) : await this.syncPartial(dirty, t0);
    } catch (err) {
      // What the kernel holds is now unknown: rewrite the tables next time.
      this.needFull = true;
      this.renderedWith = '';
      if (full || this.closed || !(err instanceof NftSessionError)) throw err;
      // nft -i refused the change or failed: the tables are rewritten at once by a fresh nft -f, with a new session after.
      this.o.log.warn({ err: err.message }, 'nft -i transaction failed; rewriting the tables with nft -f');
      const session = this.session;
      await session?.close();
      // An nft that never answered (built without its interactive CLI, say) would make every change a full sync: nft -f from now on.
      if (!err.refused && session?.answered === 0) {
        this.o.log.warn({}, 'nft -i never answered; partial syncs use nft -f');
        this.session = undefined;
      }
      return this.sync();
    }
  }

  private async syncFull(t0: number): Promise<SyncResult> {
    const state = this.o.state;
    const v4 = this.o.nodePortAddresses?.length ? await nodeAddresses(this.o.exec, this.o.nodePortAddresses) : [];
    for (const f of this.families) f.opts.nodePortIPs = f.ipFamily === 'IPv4' ? v4 : [];
    // Every service is written again, but rendered again only if it changed since it was rendered.
    const with_ = v4.join(',');
    const reuse = with_ === this.renderedWith;
    this.renderedWith = with_;
    let text = '';
    let endpoints = 0;
    let services = 0;
    for (const f of this.families) {
      for (const key of f.rendered.keys()) {
        if (state.services.has(key)) continue;
        f.rendered.delete(key);
        f.renderedVersion.delete(key);
      }
      const rendered: ServiceNft[] = [];
      // The budget of split maps is counted again, over the services as they come (one kept from before is in it already).
      f.split.clear();
      f.splitTotal = 0;
      for (const key of state.services.keys()) {
        const v = state.version(key);
        let r = f.rendered.get(key);
        if (!r || !reuse || f.renderedVersion.get(key) !== v) {
          r = renderService(state.resolve(key, f.ipFamily), f.opts);
          f.renderedVersion.set(key, v);
        } else {
          for (const id of r.lbs) {
            const n = splitMaps(id);
            if (!n || f.split.has(id)) continue;
            f.split.set(id, n);
            f.splitTotal += n;
          }
        }
        if (isEmpty(r)) {
          f.rendered.delete(key);
          f.renderedVersion.delete(key);
          continue;
        }
        f.rendered.set(key, r);
        endpoints += r.endpointCount;
        rendered.push(r);
      }
      services += f.rendered.size;
      f.lbSizes = new Set();
      text += assembleFull(rendered, f.opts, f.lbSizes);
    }
    const renderMs = performance.now() - t0;
    const restoreMs = await this.apply(text);
    this.needFull = false;
    this.lastFull = performance.now();
    return { full: true, services, rendered: services, endpoints, bytes: text.length, renderMs, restoreMs, totalMs: performance.now() - t0 };
  }

  private async syncPartial(dirty: Set<string>, t0: number): Promise<SyncResult> {
    const state = this.o.state;
    let text = '';
    let rendered = 0;
    for (const f of this.families) {
      const changes: Change[] = [];
      for (const key of dirty) {
        const before = f.rendered.get(key);
        let after: ServiceNft | undefined = renderService(state.resolve(key, f.ipFamily), f.opts);
        if (isEmpty(after)) after = undefined;
        if (!before && !after) continue;
        changes.push({ before, after });
        if (after) {
          f.rendered.set(key, after);
          f.renderedVersion.set(key, state.version(key));
        } else {
          f.rendered.delete(key);
          f.renderedVersion.delete(key);
        }
      }
      text += assemblePartial(changes, f.opts, f.lbSizes);
      rendered += changes.length;
    }
    const renderMs = performance.now() - t0;
    let endpoints = 0;
    let services = 0;
    for (const f of this.families) {
      services += f.rendered.size;
      for (const r of f.rendered.values()) endpoints += r.endpointCount;
    }
    if (!text) return { full: false, services, rendered: 0, endpoints, bytes: 0, renderMs, restoreMs: 0, totalMs: performance.now() - t0 };
    const restoreMs = await this.apply(text, true);
    return { full: false, services, rendered, endpoints, bytes: text.length, renderMs, restoreMs, totalMs: performance.now() - t0 };
  }

  /** One transaction (partial: through nft -i where there is one); its time. */
  private async apply(text: string, partial = false): Promise<number> {
    const t = performance.now();
    if (partial && this.session && text.length <= SESSION_MAX_BYTES) {
      await this.session.run(text);
      return performance.now() - t;
    }
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
