import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/storage/open.js';
import { startApiServer, type ApiServerOptions, type RunningApiServer } from '../../src/apiserver/server.js';
import { writeKubeconfig } from '../../src/apiserver/kubeconfig.js';
import type { Store } from '../../src/storage/interface.js';
import { ensureClusterPki, issueClientCert, type ClusterPki } from '../../src/pki/index.js';
import { apiserverKubeletClient, kubeletServingTls } from '../../src/cmd/identities.js';
import type { KubeletServingTls } from '../../src/kubelet/server/auth.js';

export interface TestServer {
  url: string;
  /** Path of a kubeconfig for the real kubectl and client-node. */
  kubeconfig: string;
  dir: string;
  store: Store;
  server: RunningApiServer;
  /** The cluster CA and keys (secure servers only). */
  pki?: ClusterPki;
  /** A kubeconfig for a client certificate with this user and groups (secure servers only). */
  kubeconfigFor(user: string, groups?: string[]): Promise<string>;
  /** A serving certificate from the cluster CA for a kubelet this server will call (secure servers only). */
  kubeletTls(nodeName: string, ips?: string[]): Promise<KubeletServingTls>;
  /** A kubeconfig that presents a bearer token (or none at all with ''). */
  kubeconfigWithToken(token: string): Promise<string>;
  close(): Promise<void>;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** An API server on a free loopback port over a fresh SQLite store in a temp dir. */
export async function startTestServer(opts: { storage?: 'sqlite' | 'etcd'; etcdEndpoints?: string[]; secure?: boolean; anonymous?: boolean; tokenAuthFile?: string; api?: Partial<ApiServerOptions>; metricResolutionMs?: number } = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-test-'));
  const store =
    opts.storage === 'etcd'
      ? await openStore({ kind: 'etcd', endpoints: opts.etcdEndpoints ?? [], prefix: `/k8ts-test-${process.pid}-${Date.now()}` })
      : await openStore({ kind: 'sqlite', path: join(dir, 'state.db') });
  const pki = opts.secure ? await ensureClusterPki(dir, { hostnames: ['localhost'], ips: ['127.0.0.1'] }) : undefined;
  // A secure server calls kubelets as kube-apiserver-kubelet-client and checks their certificates against the CA.
  const kubeletClient = pki ? await apiserverKubeletClient(pki, true) : undefined;
  const server = await startApiServer({ store, port: 0, host: '127.0.0.1', kubeletClient, secure: pki ? { pki, anonymous: opts.anonymous, tokenAuthFile: opts.tokenAuthFile } : undefined, metrics: opts.metricResolutionMs ? { resolutionMs: opts.metricResolutionMs } : undefined, ...opts.api });
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const caData = pki ? b64(pki.caCertPem) : undefined;
  if (pki) await writeKubeconfig(kubeconfig, { server: server.url, caData, clientCertData: b64(pki.adminCertPem), clientKeyData: b64(pki.adminKeyPem) });
  else await writeKubeconfig(kubeconfig, { server: server.url });
  let n = 0;
  return {
    url: server.url,
    kubeconfig,
    dir,
    store,
    server,
    pki,
    async kubeconfigFor(user, groups = []) {
      if (!pki) throw new Error('kubeconfigFor needs startTestServer({ secure: true })');
      const cert = await issueClientCert(pki, { commonName: user, organizations: groups });
      const path = join(dir, `kubeconfig-${++n}.yaml`);
      await writeKubeconfig(path, { server: server.url, caData, user, clientCertData: b64(cert.certPem), clientKeyData: b64(cert.keyPem) });
      return path;
    },
    async kubeletTls(nodeName, ips = ['127.0.0.1']) {
      if (!pki) throw new Error('kubeletTls needs startTestServer({ secure: true })');
      return kubeletServingTls(pki, nodeName, ips);
    },
    async kubeconfigWithToken(token) {
      const path = join(dir, `kubeconfig-${++n}.yaml`);
      await writeKubeconfig(path, { server: server.url, caData, user: 'token-user', token: token || undefined });
      return path;
    },
    async close() {
      await server.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
