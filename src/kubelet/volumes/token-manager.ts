import type { RestClient } from '../../client/rest.js';
import type { Pod } from '../api-types.js';

// The kubelet's service account token manager, as upstream's pkg/kubelet/token:
// a projected token is asked for once and served from here until 80 % of its
// lifetime has passed (or a day), not on every refresh of the pod's volumes.
// A TokenRequest is a signature on the API server, and every projected volume
// is refreshed once a sync period: at 30,000 pods that was 500 signatures a
// second with nothing changing.

/** Upstream's maxTTL: a token older than this is replaced whatever its expiry. */
const MAX_TTL_MS = 24 * 3600_000;
/** Upstream's maxJitter: refreshes of tokens issued together spread over this much. */
const MAX_JITTER_MS = 10_000;
/** What the API server defaults a projected token's lifetime to when the volume names none. */
const DEFAULT_EXPIRATION_SECONDS = 3607;

export interface TokenRequestStatus {
  spec?: { expirationSeconds?: number };
  status?: { token?: string; expirationTimestamp?: string };
}

interface CachedToken {
  token: string;
  podUid: string;
  expiresAt: number;
  ttlMs: number;
}

export class ServiceAccountTokenManager {
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly client: RestClient,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  /** A bound token for the pod's service account; undefined when the API server does not serve TokenRequest. */
  async get(pod: Pod, audience: string | undefined, expirationSeconds: number | undefined): Promise<string | undefined> {
    const sa = pod.spec.serviceAccountName || 'default';
    const ns = pod.metadata.namespace ?? 'default';
    const seconds = expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    const uid = pod.metadata.uid ?? '';
    const key = JSON.stringify([sa, ns, audience ?? null, seconds, pod.metadata.name, uid]);
    const cached = this.tokens.get(key);
    if (cached && !this.requiresRefresh(cached)) return cached.token;
    let res: TokenRequestStatus;
    try {
      res = await this.client.request<TokenRequestStatus>('POST', `/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/${encodeURIComponent(sa)}/token`, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { audiences: audience ? [audience] : [], expirationSeconds: seconds, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid } },
      });
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 404 || code === 405) return undefined;
      // As upstream: a token that still works is better than none while the API server is away.
      if (cached && cached.expiresAt > this.now()) return cached.token;
      throw err;
    }
    const token = res.status?.token;
    if (!token) return undefined;
    const ttlMs = (res.spec?.expirationSeconds ?? seconds) * 1000;
    const stamped = Date.parse(res.status?.expirationTimestamp ?? '');
    const expiresAt = Number.isFinite(stamped) ? stamped : this.now() + ttlMs;
    this.prune();
    this.tokens.set(key, { token, podUid: uid, expiresAt, ttlMs });
    return token;
  }

  /** Forget a pod's tokens once its volumes are gone (upstream's DeleteServiceAccountToken). */
  deletePod(uid: string): void {
    for (const [k, t] of this.tokens) if (t.podUid === uid) this.tokens.delete(k);
  }

  get size(): number {
    return this.tokens.size;
  }

  /** Upstream's requiresRefresh: a day old, or within a fifth of its lifetime (less a jitter) of expiring. */
  private requiresRefresh(t: CachedToken): boolean {
    const now = this.now();
    const jitter = Math.floor(this.random() * (MAX_JITTER_MS / 1000)) * 1000;
    const issuedAt = t.expiresAt - t.ttlMs;
    if (now > issuedAt + MAX_TTL_MS - jitter) return true;
    return now > t.expiresAt - t.ttlMs / 5 - jitter;
  }

  /** Drop expired tokens (upstream's periodic cleanup), so pods that vanished without a tear-down do not pile up. */
  private prune(): void {
    const now = this.now();
    for (const [k, t] of this.tokens) if (t.expiresAt <= now) this.tokens.delete(k);
  }
}
