import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { openStore } from '../storage/open.js';
import { startApiServer, type RunningApiServer } from '../apiserver/server.js';
import { writeKubeconfig } from '../apiserver/kubeconfig.js';
import type { Store } from '../storage/interface.js';
import { progress } from './progress.js';
import { hostname, networkInterfaces } from 'node:os';
import { ensureClusterPki, type ClusterPki } from '../pki/index.js';
import { ADMISSION_PLUGINS, type AdmissionPluginName } from '../auth/admission/index.js';
import { logger } from '../util/log.js';
import { parseGoDuration } from '../controllers/options.js';
import type { KubeletClientConfig } from '../apiserver/kubelet-client.js';
import { apiserverKubeletClient } from './identities.js';

const log = logger('server');

export interface ServerFlags {
  dataDir: string;
  port: string;
  bindAddress: string;
  storage?: string;
  etcdEndpoints?: string;
  etcdPrefix: string;
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
  sqliteSynchronous: string;
  compactionInterval: string;
  insecurePort?: string;
  anonymousAuth: boolean;
  tokenAuthFile?: string;
  disableAdmissionPlugins?: string;
  serviceClusterIpRange: string;
  serviceNodePortRange: string;
  advertiseAddress?: string;
  encryptionProviderConfig?: string;
  auditPolicyFile?: string;
  auditLogPath?: string;
  metricResolution: string;
  defaultNotReadyTolerationSeconds: string;
  defaultUnreachableTolerationSeconds: string;
  kubeletClientCertificate?: string;
  kubeletClientKey?: string;
  kubeletCertificateAuthority?: string;
  maxRequestsInflight: string;
  maxMutatingRequestsInflight: string;
  enablePriorityAndFairness: boolean;
}

function seconds(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a whole number of seconds, not ${JSON.stringify(v)}`);
  return n;
}

function count(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a whole number, not ${JSON.stringify(v)}`);
  return n;
}

/** Flags shared by `k8ts server` and `k8ts apiserver`, named as upstream's where it has one. */
export function addApiServerFlags(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'directory for the database, certificates and kubeconfig', process.env.K8TS_DATA_DIR ?? '.k8ts')
    .option('--port <n>', 'port of the API server (upstream: --secure-port)', '6443')
    .option('--bind-address <ip>', 'address the API server listens on', '127.0.0.1')
    .option('--storage <kind>', 'storage backend: sqlite (embedded, one server only; the default) or etcd (several servers may share it)')
    .option('--etcd-endpoints <urls>', 'comma-separated etcd client URLs (with --storage etcd)')
    .option('--etcd-prefix <prefix>', 'key prefix inside etcd', '/registry')
    .option('--etcd-cafile <file>', 'CA that signed the etcd members\' serving certificates (https etcd endpoints)')
    .option('--etcd-certfile <file>', 'client certificate shown to etcd')
    .option('--etcd-keyfile <file>', 'key of --etcd-certfile')
    .option('--sqlite-synchronous <mode>', 'SQLite durability: NORMAL (survives kill -9) or FULL (survives power loss)', 'NORMAL')
    .option('--compaction-interval <seconds>', 'history kept before compaction (upstream: --etcd-compaction-interval)', '300')
    .option('--insecure-port <n>', "also serve plain HTTP on 127.0.0.1:N with no authentication or authorization (admission still runs, as on upstream's insecure port; debugging only)")
    .option('--anonymous-auth', 'let requests without credentials in as system:anonymous (RBAC still applies)', false)
    .option('--token-auth-file <file>', 'static bearer tokens, upstream CSV format: token,user,uid,"group1,group2"')
    .option('--disable-admission-plugins <names>', `comma-separated admission plugins to turn off (${ADMISSION_PLUGINS.join(', ')})`)
    .option('--service-cluster-ip-range <cidr>', 'Service IP range; its first address is in the serving certificate', '10.0.0.0/24')
    .option('--service-node-port-range <range>', 'ports NodePort and LoadBalancer Services get their node ports from', '30000-32767')
    .option('--advertise-address <ip>', 'address the kubernetes Service\'s endpoints point at (default: --bind-address, or the host\'s first address when that is 0.0.0.0)')
    .option('--audit-policy-file <file>', 'audit.k8s.io/v1 Policy: which requests are logged at which level')
    .option('--audit-log-path <file>', 'where audit events go, one JSON line each ("-" for standard output)')
    .option('--default-not-ready-toleration-seconds <n>', 'tolerationSeconds of the not-ready toleration added to every pod without one', '300')
    .option('--default-unreachable-toleration-seconds <n>', 'tolerationSeconds of the unreachable toleration added to every pod without one', '300')
    .option('--encryption-provider-config <file>', 'EncryptionConfiguration (apiserver.config.k8s.io/v1): encrypt resources such as secrets at rest (aesgcm, aescbc, identity)')
    .option('--metric-resolution <duration>', 'how often kubelets are scraped for metrics.k8s.io (metrics-server\'s flag)', '15s')
    .option('--kubelet-client-certificate <file>', 'client certificate the API server shows kubelets (default: kube-apiserver-kubelet-client, issued from the cluster CA)')
    .option('--kubelet-client-key <file>', 'key of --kubelet-client-certificate')
    .option('--kubelet-certificate-authority <file>', 'verify kubelets\' serving certificates against this CA (default: not verified, as upstream)')
    .option('--max-requests-inflight <n>', 'read-only requests (long-running ones excepted) in progress at once; more get 429 with Retry-After (0: no limit). With priority and fairness, this plus the next is the server\'s concurrency limit', '400')
    .option('--max-mutating-requests-inflight <n>', 'mutating requests in progress at once; more get 429 with Retry-After (0: no limit)', '200')
    .option('--enable-priority-and-fairness [bool]', 'API Priority and Fairness: requests classified by FlowSchema into priority levels, each with its share of the concurrency limit and its own fair queues (off: the max-in-flight limits)', (v) => v !== 'false', true);
}

function metricResolutionMs(v: string): number {
  const ms = parseGoDuration(v);
  if (!(ms >= 100)) throw new Error(`--metric-resolution must be a duration of at least 100ms, not ${v}`);
  return ms;
}

/** Every name and address this host answers to, for the serving certificate. */
function hostIdentities(bindAddress: string): { hostnames: string[]; ips: string[] } {
  const ips = new Set(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) ips.add(a.address.split('%')[0]!);
  if (bindAddress !== '0.0.0.0' && bindAddress !== '::') ips.add(bindAddress);
  return { hostnames: ['localhost', hostname()], ips: [...ips] };
}

/** The first usable address of a CIDR (10.0.0.0/24 → 10.0.0.1): the kubernetes Service's IP. */
export function firstServiceIP(cidr: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`--service-cluster-ip-range must be an IPv4 CIDR like 10.0.0.0/24, not ${cidr}`);
  const n = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const ip = (n + 1) >>> 0;
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
}

/** Upstream's ResolveBindAddress: the bind address, or the host's first non-loopback address when that is loopback or every interface. */
export function advertiseAddress(flags: Pick<ServerFlags, 'advertiseAddress' | 'bindAddress'>): string {
  if (flags.advertiseAddress) return flags.advertiseAddress;
  const b = flags.bindAddress;
  if (b !== '0.0.0.0' && b !== '::' && !b.startsWith('127.') && b !== '::1' && b !== 'localhost') return b;
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

export interface RunningControlPlane {
  api: RunningApiServer;
  store: Store;
  kubeconfig: string;
  pki: ClusterPki;
  dataDir: string;
  /** https://host:port as components should dial it. */
  server: string;
  stop(): Promise<void>;
}

/**
 * The storage a server runs on: --storage, else etcd when etcd endpoints
 * are given, else SQLite. SQLite is one file owned by one process (its
 * watch fan-out lives in that process's memory), so it is refused clearly
 * whenever the flags ask for a server that shares its store with others.
 */
export function resolveStorage(flags: Pick<ServerFlags, 'storage' | 'etcdEndpoints'> & { clusterInit?: boolean; server?: string }): 'sqlite' | 'etcd' {
  const storage = flags.storage ?? (flags.etcdEndpoints || flags.clusterInit || flags.server ? 'etcd' : 'sqlite');
  if (storage !== 'sqlite' && storage !== 'etcd') throw new Error(`--storage must be sqlite or etcd, not ${storage}`);
  if (storage === 'sqlite') {
    const shared = flags.clusterInit ? '--cluster-init' : flags.server ? '--server' : flags.etcdEndpoints ? '--etcd-endpoints' : undefined;
    if (shared) throw new Error(`${shared} asks for several servers sharing one store, but SQLite cannot be shared by several servers (one process owns the file); use --storage etcd --etcd-endpoints URL,... for a highly available control plane`);
  }
  return storage;
}

export async function runApiServer(flags: ServerFlags): Promise<RunningControlPlane> {
  flags.storage = resolveStorage(flags);
  const dataDir = resolve(flags.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  let store: Store;
  if (flags.storage === 'etcd') {
    const endpoints = (flags.etcdEndpoints ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (!endpoints.length) throw new Error('--storage etcd needs --etcd-endpoints, e.g. --etcd-endpoints http://127.0.0.1:2379');
    progress(`connecting to etcd at ${endpoints.join(', ')}`);
    const tls = flags.etcdCafile
      ? { caPem: await readFile(resolve(flags.etcdCafile)), certPem: flags.etcdCertfile ? await readFile(resolve(flags.etcdCertfile)) : undefined, keyPem: flags.etcdKeyfile ? await readFile(resolve(flags.etcdKeyfile)) : undefined }
      : undefined;
    store = await openStore({ kind: 'etcd', endpoints, prefix: flags.etcdPrefix, tls });
  } else if (flags.storage === 'sqlite') {
    const path = join(dataDir, 'state.db');
    progress(`opening SQLite store ${path}`);
    const sync = flags.sqliteSynchronous.toUpperCase();
    if (sync !== 'NORMAL' && sync !== 'FULL') throw new Error(`--sqlite-synchronous must be NORMAL or FULL, not ${flags.sqliteSynchronous}`);
    store = await openStore({ kind: 'sqlite', path, synchronous: sync, compactWindowSeconds: Number(flags.compactionInterval) });
  } else {
    throw new Error(`--storage must be sqlite or etcd, not ${flags.storage}`);
  }
  if (flags.encryptionProviderConfig) {
    const { loadEncryptionConfig } = await import('../auth/encryption.js');
    const { encryptionAtRest } = await import('../apiserver/encryption.js');
    const { TransformingStore } = await import('../storage/transform.js');
    store = new TransformingStore(store, encryptionAtRest(loadEncryptionConfig(resolve(flags.encryptionProviderConfig))));
    progress(`encrypting resources at rest as ${flags.encryptionProviderConfig} says`);
  }
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, not ${flags.port}`);
  const disabled = (flags.disableAdmissionPlugins ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const d of disabled) {
    if (!(ADMISSION_PLUGINS as readonly string[]).includes(d)) throw new Error(`--disable-admission-plugins: unknown plugin ${d} (known: ${ADMISSION_PLUGINS.join(', ')})`);
  }
  progress('loading the cluster CA and certificates (created on first start)');
  const pki: ClusterPki = await ensureClusterPki(dataDir, { ...hostIdentities(flags.bindAddress), serviceIP: firstServiceIP(flags.serviceClusterIpRange) });
  const insecurePort = flags.insecurePort === undefined ? undefined : Number(flags.insecurePort);
  if (insecurePort !== undefined) log.warn({ port: insecurePort }, '--insecure-port serves the API without authentication on 127.0.0.1');
  let audit;
  if (flags.auditLogPath || flags.auditPolicyFile) {
    if (!flags.auditLogPath || !flags.auditPolicyFile) throw new Error('--audit-log-path and --audit-policy-file go together');
    const { createAuditLogger } = await import('../auth/audit.js');
    audit = createAuditLogger({ policyFile: resolve(flags.auditPolicyFile), logPath: flags.auditLogPath === '-' ? '-' : resolve(flags.auditLogPath) });
    progress(`audit log: ${flags.auditLogPath}`);
  }
  const tolerationDefaults = { notReadySeconds: seconds(flags.defaultNotReadyTolerationSeconds, '--default-not-ready-toleration-seconds'), unreachableSeconds: seconds(flags.defaultUnreachableTolerationSeconds, '--default-unreachable-toleration-seconds') };
  let kubeletClient: KubeletClientConfig;
  if (flags.kubeletClientCertificate || flags.kubeletClientKey) {
    if (!flags.kubeletClientCertificate || !flags.kubeletClientKey) throw new Error('--kubelet-client-certificate and --kubelet-client-key go together');
    kubeletClient = { certPem: await readFile(resolve(flags.kubeletClientCertificate), 'utf8'), keyPem: await readFile(resolve(flags.kubeletClientKey), 'utf8') };
  } else {
    kubeletClient = await apiserverKubeletClient(pki, false);
  }
  if (flags.kubeletCertificateAuthority) kubeletClient.caPem = await readFile(resolve(flags.kubeletCertificateAuthority), 'utf8');
  const api = await startApiServer({
    store,
    port,
    host: flags.bindAddress,
    secure: { pki, anonymous: flags.anonymousAuth, tokenAuthFile: flags.tokenAuthFile, disabledAdmissionPlugins: disabled as AdmissionPluginName[], audit, tolerationDefaults },
    kubeletClient,
    insecurePort,
    serviceClusterIPRange: flags.serviceClusterIpRange,
    serviceNodePortRange: flags.serviceNodePortRange,
    kubernetesService: { advertiseAddress: advertiseAddress(flags) },
    metrics: { resolutionMs: metricResolutionMs(flags.metricResolution) },
    maxInFlight: { readOnly: count(flags.maxRequestsInflight, '--max-requests-inflight'), mutating: count(flags.maxMutatingRequestsInflight, '--max-mutating-requests-inflight') },
    priorityAndFairness: flags.enablePriorityAndFairness,
  });
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const host = flags.bindAddress === '0.0.0.0' || flags.bindAddress === '::' ? '127.0.0.1' : flags.bindAddress;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${api.port}`;
  await writeKubeconfig(kubeconfig, { server, caData: b64(pki.caCertPem), clientCertData: b64(pki.adminCertPem), clientKeyData: b64(pki.adminKeyPem) });
  progress(`API server listening on ${api.url}`);
  return {
    api,
    store,
    kubeconfig,
    pki,
    dataDir,
    server,
    async stop() {
      await api.close();
      await store.close();
    },
  };
}
