// Leases for TTL keys. Granting one lease per write would cost a round trip
// per Event, so, like upstream's leaseManager, a lease is shared by writes
// with the same TTL for a short while: it is granted a little longer than the
// TTL and reused while it still outlives a new key's TTL. A key therefore
// expires between ttl and ttl + reuse seconds after its write.
import type { LeaseClient } from 'etcd3';

const REUSE_FRACTION = 0.05;
const MAX_REUSE_SECONDS = 60;

interface Held {
  id: string;
  /** When etcd will revoke it (ms since the epoch, from the grant time). */
  expiresAt: number;
}

export class LeaseManager {
  private readonly held = new Map<number, Held>();
  private readonly pending = new Map<number, Promise<Held>>();

  constructor(
    private readonly client: LeaseClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** A lease id that keeps a key written now for at least ttlSeconds. */
  async leaseFor(ttlSeconds: number): Promise<string> {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    const current = this.held.get(ttl);
    if (current && current.expiresAt - this.now() >= ttl * 1000) return current.id;
    let grant = this.pending.get(ttl);
    if (!grant) {
      grant = this.grant(ttl).finally(() => this.pending.delete(ttl));
      this.pending.set(ttl, grant);
    }
    return (await grant).id;
  }

  /** Drop a lease etcd no longer knows (e.g. after a restart of a lagging clock). */
  forget(id: string): void {
    for (const [ttl, held] of this.held) if (held.id === id) this.held.delete(ttl);
  }

  private async grant(ttl: number): Promise<Held> {
    const reuse = Math.min(MAX_REUSE_SECONDS, Math.ceil(ttl * REUSE_FRACTION));
    const requestedAt = this.now();
    const res = await this.client.leaseGrant({ TTL: ttl + reuse });
    // etcd may raise a tiny TTL to its minimum; it never shortens one.
    const held = { id: res.ID, expiresAt: requestedAt + Number(res.TTL) * 1000 };
    this.held.set(ttl, held);
    return held;
  }
}
