import type { ClientConfig } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest.js';
import { isAlreadyExists } from '../client/status.js';
import { SERVICEACCOUNTS } from './core-resources.js';
import { logger } from '../util/log.js';

const log = logger('controller-manager');

// Upstream's --use-service-account-credentials: the controller manager's own
// identity only reads (list/watch *) and mints tokens; each controller writes
// as the kube-system service account bound to its system:controller:<name>
// role, so a controller can do exactly what upstream allows it and no more.

/** Service account of each controller, as upstream names them. */
export const CONTROLLER_SERVICE_ACCOUNTS: Record<string, string> = {
  replicaset: 'replicaset-controller',
  deployment: 'deployment-controller',
  daemonset: 'daemon-set-controller',
  job: 'job-controller',
  cronjob: 'cronjob-controller',
  disruption: 'disruption-controller',
  namespace: 'namespace-controller',
  garbagecollector: 'generic-garbage-collector',
  serviceaccount: 'service-account-controller',
  nodelifecycle: 'node-controller',
  // Upstream's node-ipam-controller runs with the node controller's client too.
  nodeipam: 'node-controller',
  // Upstream 1.32 runs taint eviction as its own controller with the node controller's rights.
  'taint-eviction-controller': 'node-controller',
  endpoint: 'endpoint-controller',
  endpointslice: 'endpointslice-controller',
  podgc: 'pod-garbage-collector',
  'root-ca-certificate-publisher': 'root-ca-cert-publisher',
  // Each runs with its own role as upstream; without an entry a controller would write as the
  // controller manager, which may only read, and `k8ts server` StatefulSets never started.
  statefulset: 'statefulset-controller',
  horizontalpodautoscaling: 'horizontal-pod-autoscaler',
  'persistentvolume-binder': 'persistent-volume-binder',
  'pvc-protection': 'pvc-protection-controller',
  'pv-protection': 'pv-protection-controller',
  csrapproving: 'certificate-controller',
  csrsigning: 'certificate-controller',
  csrcleaner: 'certificate-controller',
  bootstrapsigner: 'bootstrap-signer',
  tokencleaner: 'token-cleaner',
};

const TOKEN_SECONDS = 3600;

export class ServiceAccountCredentials {
  private readonly clients = new Map<string, { client: RestClient; config: ClientConfig }>();
  private readonly pending = new Map<string, Promise<RestClient>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly admin: RestClient) {}

  /** A client that authenticates as the controller's service account (created on first use). */
  async clientFor(controller: string): Promise<RestClient> {
    const sa = CONTROLLER_SERVICE_ACCOUNTS[controller];
    if (!sa) return this.admin;
    const have = this.clients.get(sa);
    if (have) return have.client;
    // Controllers start together and some share an account: one token request each.
    let pending = this.pending.get(sa);
    if (!pending) {
      pending = this.newClient(sa).finally(() => this.pending.delete(sa));
      this.pending.set(sa, pending);
    }
    return pending;
  }

  private async newClient(sa: string): Promise<RestClient> {
    const base = this.admin.config;
    // No client certificate: the bearer token is the identity.
    const config: ClientConfig = { server: base.server, caData: base.caData, caFile: base.caFile, insecureSkipTLSVerify: base.insecureSkipTLSVerify, tlsServerName: base.tlsServerName, connect: base.connect, namespace: 'kube-system', token: await this.token(sa) };
    const client = new RestClient(config, { component: sa, qps: 200, burst: 400 });
    this.clients.set(sa, { client, config });
    this.timer ??= setInterval(() => void this.refresh(), (TOKEN_SECONDS * 1000 * 4) / 5).unref();
    return client;
  }

  private async token(sa: string): Promise<string> {
    try {
      await this.admin.create(SERVICEACCOUNTS, 'kube-system', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: 'kube-system' } });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const tr = await this.admin.createSubresource<{ status: { token: string } }>(SERVICEACCOUNTS, 'kube-system', sa, 'token', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: TOKEN_SECONDS },
    });
    return tr.status.token;
  }

  /** Tokens are renewed well before they expire; the transport reads config.token per request. */
  private async refresh(): Promise<void> {
    for (const [sa, c] of this.clients) {
      try {
        c.config.token = await this.token(sa);
      } catch (err) {
        log.warn({ serviceAccount: sa, err: String(err) }, 'renewing controller token failed; will retry');
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
    for (const c of this.clients.values()) c.client.close();
    this.clients.clear();
  }
}
