import { RestClient } from '../client/rest.js';
import { logger } from '../util/log.js';
import { nodeClientConfig, requestNodeCertificate, saveIdentity, type IdentityFiles, type NodeIdentity } from './agent-identity.js';

// The kubelet's client certificate manager: a new certificate is asked for
// (as system:node:NAME, approved through selfnodeclient) at a jittered 70–84%
// of the current one's lifetime, upstream's nextRotationDeadline
// (wait.Jitter(0.7 × total, 0.2)); failures retry with a growing pause.

const log = logger('certificate-manager');
const MAX_TIMER_MS = 2 ** 31 - 1;

export function rotationDeadline(id: Pick<NodeIdentity, 'notBefore' | 'notAfter'>, random = Math.random()): Date {
  const total = id.notAfter.getTime() - id.notBefore.getTime();
  return new Date(id.notBefore.getTime() + total * 0.7 * (1 + 0.2 * random));
}

export interface RotationOptions {
  server: string;
  /** Every API server of the cluster, for failover. */
  servers?: string[];
  nodeName: string;
  files: IdentityFiles;
  identity: NodeIdentity;
  /** Called with each new certificate, after it is saved. */
  onRotated(id: NodeIdentity): void;
  /** What is renewed (default: the node's own certificate, asked for as itself). */
  renew?: (client: RestClient, current: NodeIdentity) => Promise<NodeIdentity>;
  /** Whose credentials ask for the renewal (default: the certificate being renewed). */
  authAs?: () => NodeIdentity;
  /** For the logs: "kubelet client", "kube-proxy client". */
  what?: string;
}

export function startCertificateRotation(o: RotationOptions): { stop(): void; current(): NodeIdentity } {
  let current = o.identity;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failures = 0;

  const schedule = (at: number) => {
    if (stopped) return;
    const wait = Math.max(0, at - Date.now());
    timer = setTimeout(() => (wait > MAX_TIMER_MS ? schedule(at) : void rotate()), Math.min(wait, MAX_TIMER_MS));
    timer.unref();
  };

  const rotate = async () => {
    const client = new RestClient(nodeClientConfig(o.server, o.authAs?.() ?? current, o.servers), { component: 'kubelet-certificate-manager' });
    const what = o.what ?? 'kubelet client';
    try {
      log.info({ node: o.nodeName, notAfter: current.notAfter.toISOString() }, `rotating the ${what} certificate`);
      const next = o.renew ? await o.renew(client, current) : await requestNodeCertificate(client, current.caPem, o.nodeName, (msg) => log.info({ node: o.nodeName }, msg));
      await saveIdentity(o.files, next);
      current = next;
      failures = 0;
      log.info({ node: o.nodeName, notAfter: next.notAfter.toISOString() }, `${what} certificate rotated`);
      o.onRotated(next);
      schedule(rotationDeadline(next).getTime());
    } catch (err) {
      failures++;
      const pause = Math.min(2000 * 2 ** (failures - 1), 5 * 60_000);
      log.warn({ node: o.nodeName, err: (err as Error).message, retryInMs: pause }, 'certificate rotation failed');
      schedule(Date.now() + pause);
    } finally {
      client.close();
    }
  };

  const deadline = rotationDeadline(current);
  log.info({ node: o.nodeName, rotateAt: deadline.toISOString(), notAfter: current.notAfter.toISOString() }, 'certificate rotation scheduled');
  schedule(deadline.getTime());
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    current: () => current,
  };
}
