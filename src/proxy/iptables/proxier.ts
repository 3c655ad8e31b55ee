import type { Logger } from '../../util/log.js';
import type { Exec } from '../exec.js';
import type { ProxyState } from '../state.js';
import { isServiceChain } from '../names.js';
import { assemble, assemblePartial, renderService, type RuleOptions, type ServiceRules } from './rules.js';
import { JUMPS, jumpRule } from './chains.js';
import { parseSave, ruleTarget } from './save.js';
import { nodeAddresses } from '../addresses.js';

// upstream: above this many endpoints comments are left out of the per-endpoint
// rules, which makes the restore input ~40% smaller.
const LARGE_CLUSTER_ENDPOINTS = 1000;
const FULL_SYNC_PERIOD_MS = 3_600_000;

export interface IptablesProxierOptions {
  exec: Exec;
  state: ProxyState;
  log: Logger;
  masqueradeAll?: boolean;
  clusterCIDR?: string;
  /** --nodeport-addresses: CIDRs; NodePorts answer on the local addresses inside them (all local addresses when empty). */
  nodePortAddresses?: string[];
  /** iptables-restore / iptables-save binaries (iptables-legacy-restore for the legacy backend). */
  restoreCommand?: string;
  saveCommand?: string;
}

export interface SyncResult {
  full: boolean;
  services: number;
  rendered: number;
  endpoints: number;
  bytes: number;
  /** Time to render the restore input (including iptables-save on full syncs). */
  renderMs: number;
  /** Time spent in iptables-restore alone. */
  restoreMs: number;
  totalMs: number;
}

export class IptablesProxier {
  private readonly rendered = new Map<string, ServiceRules>();
  /** The state version each rendered service was made from, and the options all of them were made with. */
  private readonly renderedVersion = new Map<string, number>();
  private renderedWith = '';
  private readonly active = new Set<string>();
  private needFull = true;
  private large = false;
  private readonly opts: RuleOptions;

  constructor(private readonly o: IptablesProxierOptions) {
    this.opts = { masqueradeAll: !!o.masqueradeAll, clusterCIDR: o.clusterCIDR, nodePortIPs: [], masqueradeMark: '0x4000', randomFully: true };
  }

  private lastFull = -Infinity;

  /** Force the next sync to rewrite every service. */
  requestFullSync(): void {
    this.needFull = true;
  }

  /**
   * The --sync-period tick: as upstream, a periodic sync is partial, and a
   * full one (re-render everything, iptables-save, restore stale jumps) runs
   * once an hour, since it costs seconds at ten thousand services.
   */
  periodic(): void {
    if (performance.now() - this.lastFull > FULL_SYNC_PERIOD_MS) this.needFull = true;
  }

  async sync(): Promise<SyncResult> {
    const t0 = performance.now();
    const state = this.o.state;
    const full = this.needFull;
    const dirty = state.takeDirty();
    try {
      return await this.syncInner(full, dirty, t0);
    } catch (err) {
      // Our picture of the kernel is now unknown: rewrite everything next time.
      this.needFull = true;
      this.renderedWith = '';
      throw err;
    }
  }

  private async syncInner(full: boolean, dirty: Set<string>, t0: number): Promise<SyncResult> {
    const state = this.o.state;
    let keys: Iterable<string> = full ? new Set([...state.services.keys(), ...this.rendered.keys()]) : dirty;
    const previous = new Map<string, ServiceRules | undefined>();
    const renderAll = (): void => {
      // A full sync rewrites every service's rules, but renders again only those that changed since they were rendered.
      const with_ = `${this.large}|${this.opts.nodePortIPs.join(',')}`;
      const reuse = with_ === this.renderedWith;
      for (const key of keys) {
        previous.set(key, this.rendered.get(key));
        const v = state.version(key);
        if (reuse && v !== 0 && this.renderedVersion.get(key) === v) continue;
        const r = renderService(state.resolve(key), this.opts, this.large);
        if (r.chains.size || r.natServices.length || r.filterServices.length || r.filterExternal.length || r.natNodePorts.length) {
          this.rendered.set(key, r);
          this.renderedVersion.set(key, v);
        } else {
          this.rendered.delete(key);
          this.renderedVersion.delete(key);
        }
      }
      this.renderedWith = with_;
    };
    if (full) this.opts.nodePortIPs = this.o.nodePortAddresses?.length ? await nodeAddresses(this.o.exec, this.o.nodePortAddresses) : [];
    renderAll();
    let endpoints = 0;
    for (const r of this.rendered.values()) endpoints += r.endpointCount;
    const large = endpoints > LARGE_CLUSTER_ENDPOINTS;
    if (large !== this.large) {
      this.large = large;
      this.o.log.info({ endpoints, largeClusterMode: large }, 'endpoint count crossed the large-cluster threshold; re-rendering every service');
      keys = [...new Set([...state.services.keys(), ...this.rendered.keys()])];
      renderAll();
      full = true;
    }

    const changed: ServiceRules[] = [];
    const deleteChains = new Set<string>();
    const jumps = { filter: [] as string[], nat: [] as string[] };
    if (full) {
      const nextActive = new Set<string>();
      for (const r of this.rendered.values()) {
        changed.push(r);
        for (const c of r.chains.keys()) nextActive.add(c);
      }
      const saved = parseSave(await this.save(), true);
      for (const c of saved.get('nat')?.chains ?? []) if (isServiceChain(c) && !nextActive.has(c)) deleteChains.add(c);
      for (const j of JUMPS) {
        const t = saved.get(j.table);
        const present = t?.rules.some((r) => r.startsWith(`-A ${j.from} `) && ruleTarget(r) === j.to && r.includes(j.comment));
        if (!present) jumps[j.table].push(jumpRule(j, '-I'));
      }
      this.active.clear();
      for (const c of nextActive) this.active.add(c);
    } else {
      for (const [key, before] of previous) {
        const after = this.rendered.get(key);
        if (after) changed.push(after);
        for (const c of before?.chains.keys() ?? []) if (!after?.chains.has(c)) deleteChains.add(c);
      }
      for (const c of deleteChains) this.active.delete(c);
      for (const r of changed) for (const c of r.chains.keys()) this.active.add(c);
    }

    const text = full
      ? assemble({ all: this.rendered.values(), changed, deleteChains, jumps }, this.opts)
      : assemblePartial([...previous].map(([key, before]) => ({ before, after: this.rendered.get(key) })), deleteChains);
    const renderMs = performance.now() - t0;
    if (!text) return { full, services: this.rendered.size, rendered: 0, endpoints, bytes: 0, renderMs, restoreMs: 0, totalMs: performance.now() - t0 };
    const tr = performance.now();
    const r = await this.o.exec.run(this.o.restoreCommand ?? 'iptables-restore', ['-w', '5', '--noflush'], text);
    const restoreMs = performance.now() - tr;
    if (r.code !== 0) {
      const line = /line:? (\d+)/.exec(r.stderr)?.[1];
      const near = line ? text.split('\n').slice(Math.max(0, Number(line) - 3), Number(line) + 2) : [];
      throw new Error(`iptables-restore failed (exit ${r.code}): ${r.stderr.trim()}${near.length ? `; near: ${near.join(' | ')}` : ''}`);
    }
    if (full) {
      this.needFull = false;
      this.lastFull = performance.now();
    }
    return { full, services: this.rendered.size, rendered: changed.length, endpoints, bytes: text.length, renderMs, restoreMs, totalMs: performance.now() - t0 };
  }

  private async save(): Promise<string> {
    const r = await this.o.exec.run(this.o.saveCommand ?? 'iptables-save', []);
    if (r.code !== 0) throw new Error(`iptables-save failed: ${r.stderr.trim()}`);
    return r.stdout;
  }
}
