// The etcd3 client as this backend needs it: no hidden retries (a retried
// compare-and-swap that had in fact landed would report a false conflict, so
// writes are never retried behind our back), no circuit breaker that would
// keep failing calls after etcd is back, no 4 MiB cap on responses (a list of
// thousands of objects is larger), and a deadline on every unary call.
import { Etcd3, type IOptions } from 'etcd3';

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

// etcd3 only ever calls execute() on its policies; this one just runs the
// call. It must be async: etcd3 rethrows through it and expects a rejection.
// One context for all calls: nothing ever aborts it.
const context = { signal: new AbortController().signal, attempt: 0 };
const passThrough = {
  execute: async <T>(fn: (ctx: typeof context) => PromiseLike<T> | T): Promise<T> => fn(context),
} as unknown as Policy;

export const CALL_DEADLINE_MS = 30_000;

export function connectEtcd(endpoints: string[]): Etcd3 {
  return new Etcd3({
    hosts: endpoints,
    grpcOptions: {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    },
    faultHandling: { host: () => passThrough, global: passThrough },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + CALL_DEADLINE_MS }),
  });
}
