// The etcd3 client as this backend needs it: no hidden retries (a retried
// compare-and-swap that had in fact landed would report a false conflict, so
// writes are never retried behind our back), no circuit breaker that would
// keep failing calls after etcd is back, no 4 MiB cap on responses (a list of
// thousands of objects is larger), and a deadline on every unary call.
//
// With several endpoints (an etcd cluster) a member that just failed a call
// at the connection level is passed over for a second, so the calls after
// the failed one go to live members instead of one in N landing on the dead
// one. The failed call itself still fails. When every member is marked down,
// calls go through anyway: nothing is ever refused on a stale verdict.
import { Etcd3, castGrpcError, isRecoverableError, type IOptions } from 'etcd3';

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

// etcd3 only ever calls execute() on its policies; this one just runs the
// call. It must be async: etcd3 rethrows through it and expects a rejection.
// One context for all calls: nothing ever aborts it.
const context = { signal: new AbortController().signal, attempt: 0 };
const passThrough = {
  execute: async <T>(fn: (ctx: typeof context) => PromiseLike<T> | T): Promise<T> => fn(context),
} as unknown as Policy;

export const CALL_DEADLINE_MS = 30_000;
/** How long a member that failed at the connection level is passed over. */
export const MEMBER_DOWN_MS = 1000;

class MemberDown extends Error {
  constructor(host: string) {
    super(`etcd member ${host} is marked down`);
  }
}

function connectionLevel(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return isRecoverableError(err) || isRecoverableError(castGrpcError(err));
}

/** One policy per member; they share who is down so the last live one is never skipped. */
function memberPolicies(hosts: string[]): (host: string) => Policy {
  const downUntil = new Map<string, number>();
  const isDown = (h: string, now: number): boolean => (downUntil.get(h) ?? 0) > now;
  return (host) =>
    ({
      execute: async <T>(fn: (ctx: typeof context) => PromiseLike<T> | T): Promise<T> => {
        const now = Date.now();
        // Throwing before fn runs makes etcd3 try the next member for this same call.
        if (isDown(host, now) && hosts.some((h) => !isDown(h, now))) throw new MemberDown(host);
        try {
          const result = await fn(context);
          downUntil.delete(host);
          return result;
        } catch (err) {
          if (connectionLevel(err)) downUntil.set(host, Date.now() + MEMBER_DOWN_MS);
          throw err;
        }
      },
    }) as unknown as Policy;
}

/** Client TLS for an etcd that requires it (upstream's --etcd-cafile/--etcd-certfile/--etcd-keyfile), as PEM. */
export interface EtcdTls {
  caPem: Buffer;
  certPem?: Buffer;
  keyPem?: Buffer;
}

export function connectEtcd(endpoints: string[], tls?: EtcdTls): Etcd3 {
  const hosts = endpoints.map((e) => e.replace(/^[a-z]+:\/\//, ''));
  const perMember = endpoints.length > 1 ? memberPolicies(hosts) : () => passThrough;
  return new Etcd3({
    hosts: endpoints,
    ...(tls ? { credentials: { rootCertificate: tls.caPem, certChain: tls.certPem, privateKey: tls.keyPem } } : {}),
    grpcOptions: {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    },
    faultHandling: { host: (h: string) => perMember(h.replace(/^[a-z]+:\/\//, '')), global: passThrough },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + CALL_DEADLINE_MS }),
  });
}
