import type { Duplex } from 'node:stream';
import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { yaml } from '../util/yaml.js';

// What a RestClient needs to reach and authenticate to one API server,
// resolved from a kubeconfig context or from the pod's service account.
// File references are read at load time except the token file, which is
// re-read when it changes because projected service-account tokens rotate.

export interface ClientConfig {
  /** Base URL, e.g. https://127.0.0.1:6443 (no trailing slash). */
  server: string;
  /**
   * Other API servers of the same cluster, tried in turn when the current
   * one cannot be reached. In a kubeconfig: the cluster's extension named
   * `k8ts.io/servers` ({servers: [url, ...]}), which kubectl keeps and ignores.
   */
  servers?: string[];
  /** PEM bundle of CAs to trust. */
  caData?: Buffer;
  /** Where caData came from, when it came from a file. */
  caFile?: string;
  certData?: Buffer;
  keyData?: Buffer;
  token?: string;
  /** Bearer token re-read when the file changes. */
  tokenFile?: string;
  username?: string;
  password?: string;
  insecureSkipTLSVerify?: boolean;
  tlsServerName?: string;
  /** Default namespace of the context ("default" when unset). */
  namespace: string;
  /** Context the config came from ("" for in-cluster). */
  context?: string;
  /**
   * Opens an in-memory connection to an API server in this process
   * (RunningApiServer.connectInProcess), presenting certData if set: requests
   * go over it as plain HTTP/1.1 instead of TLS to `server`. Never read from
   * or written to a kubeconfig.
   */
  connect?: (clientCertPem?: Buffer) => Duplex;
}

interface NamedCluster {
  name: string;
  cluster?: {
    server?: string;
    'certificate-authority'?: string;
    'certificate-authority-data'?: string;
    'insecure-skip-tls-verify'?: boolean;
    'tls-server-name'?: string;
    extensions?: { name?: string; extension?: { servers?: unknown } }[];
  };
}

interface NamedUser {
  name: string;
  user?: {
    'client-certificate'?: string;
    'client-certificate-data'?: string;
    'client-key'?: string;
    'client-key-data'?: string;
    token?: string;
    tokenFile?: string;
    username?: string;
    password?: string;
  };
}

interface NamedContext {
  name: string;
  context?: { cluster?: string; user?: string; namespace?: string };
}

/** The kubeconfig file as parsed, with file paths already made absolute. */
export interface KubeconfigFile {
  clusters: NamedCluster[];
  users: NamedUser[];
  contexts: NamedContext[];
  currentContext?: string;
}

const PATH_FIELDS_CLUSTER = ['certificate-authority'] as const;
const PATH_FIELDS_USER = ['client-certificate', 'client-key', 'tokenFile'] as const;

function absolutize(base: string, p: string | undefined): string | undefined {
  if (!p) return p;
  return isAbsolute(p) ? p : resolve(base, p);
}

/** Parse kubeconfig YAML; relative paths resolve against `baseDir` as kubectl does. */
export function parseKubeconfig(text: string, baseDir = process.cwd()): KubeconfigFile {
  const doc = (yaml().parse(text) ?? {}) as Record<string, unknown>;
  const clusters = ((doc.clusters as NamedCluster[] | null) ?? []).map((c) => {
    const cluster = { ...(c.cluster ?? {}) };
    for (const f of PATH_FIELDS_CLUSTER) cluster[f] = absolutize(baseDir, cluster[f]);
    return { name: c.name, cluster };
  });
  const users = ((doc.users as NamedUser[] | null) ?? []).map((u) => {
    const user = { ...(u.user ?? {}) };
    for (const f of PATH_FIELDS_USER) user[f] = absolutize(baseDir, user[f]);
    return { name: u.name, user };
  });
  const contexts = (doc.contexts as NamedContext[] | null) ?? [];
  const currentContext = (doc['current-context'] as string | undefined) || undefined;
  return { clusters, users, contexts, currentContext };
}

/** Merge several files as kubectl merges $KUBECONFIG: the first file to define a name wins. */
export function mergeKubeconfigs(files: KubeconfigFile[]): KubeconfigFile {
  const out: KubeconfigFile = { clusters: [], users: [], contexts: [] };
  const add = <T extends { name: string }>(into: T[], from: T[]): void => {
    for (const x of from) if (!into.some((y) => y.name === x.name)) into.push(x);
  };
  for (const f of files) {
    add(out.clusters, f.clusters);
    add(out.users, f.users);
    add(out.contexts, f.contexts);
    out.currentContext ??= f.currentContext;
  }
  return out;
}

function decodeData(b64: string | undefined): Buffer | undefined {
  return b64 ? Buffer.from(b64, 'base64') : undefined;
}

function readOptional(path: string | undefined): Buffer | undefined {
  return path ? readFileSync(path) : undefined;
}

/** Resolve one context (the current one unless named) into a ClientConfig. */
export function resolveContext(kc: KubeconfigFile, contextName?: string): ClientConfig {
  const name = contextName ?? kc.currentContext;
  if (!name) throw new Error('kubeconfig: no context given and current-context is not set');
  const ctx = kc.contexts.find((c) => c.name === name);
  if (!ctx) throw new Error(`kubeconfig: context "${name}" not found`);
  const clusterName = ctx.context?.cluster;
  const cluster = kc.clusters.find((c) => c.name === clusterName)?.cluster;
  if (!cluster) throw new Error(`kubeconfig: cluster "${clusterName ?? ''}" of context "${name}" not found`);
  if (!cluster.server) throw new Error(`kubeconfig: cluster "${clusterName}" has no server`);
  const userName = ctx.context?.user;
  const user = userName ? (kc.users.find((u) => u.name === userName)?.user ?? {}) : {};

  const caFile = cluster['certificate-authority'];
  const cfg: ClientConfig = {
    server: cluster.server.replace(/\/+$/, ''),
    servers: extraServers(cluster.extensions),
    caData: decodeData(cluster['certificate-authority-data']) ?? readOptional(caFile),
    caFile,
    certData: decodeData(user['client-certificate-data']) ?? readOptional(user['client-certificate']),
    keyData: decodeData(user['client-key-data']) ?? readOptional(user['client-key']),
    token: user.token || undefined,
    tokenFile: user.tokenFile || undefined,
    username: user.username,
    password: user.password,
    insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] ?? false,
    tlsServerName: cluster['tls-server-name'],
    namespace: ctx.context?.namespace || 'default',
    context: name,
  };
  return cfg;
}

export const SERVERS_EXTENSION = 'k8ts.io/servers';

function extraServers(extensions: NonNullable<NamedCluster['cluster']>['extensions']): string[] | undefined {
  const list = extensions?.find((e) => e.name === SERVERS_EXTENSION)?.extension?.servers;
  if (!Array.isArray(list)) return undefined;
  const urls = list.filter((u): u is string => typeof u === 'string' && /^https?:\/\//.test(u)).map((u) => u.replace(/\/+$/, ''));
  return urls.length ? urls : undefined;
}

/** Load a kubeconfig file and resolve the current (or named) context. */
export function loadKubeconfig(path: string, contextName?: string): ClientConfig {
  const kc = parseKubeconfig(readFileSync(path, 'utf8'), dirname(resolve(path)));
  return resolveContext(kc, contextName);
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The config a pod gets from its environment and mounted service-account token. */
export function inClusterConfig(env: NodeJS.ProcessEnv = process.env, saDir = SERVICE_ACCOUNT_DIR): ClientConfig {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new Error('unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined');
  }
  const tokenFile = join(saDir, 'token');
  if (!existsSync(tokenFile)) throw new Error(`in-cluster config: ${tokenFile} not found`);
  const caFile = join(saDir, 'ca.crt');
  const nsFile = join(saDir, 'namespace');
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    server: `https://${hostPart}:${port}`,
    tokenFile,
    caFile: existsSync(caFile) ? caFile : undefined,
    caData: existsSync(caFile) ? readFileSync(caFile) : undefined,
    namespace: existsSync(nsFile) ? readFileSync(nsFile, 'utf8').trim() || 'default' : 'default',
    context: '',
  };
}

/**
 * kubectl's lookup order: an explicit path, then $KUBECONFIG (merged), then
 * ~/.kube/config, then the in-cluster service account.
 */
export function loadDefaultConfig(opts: { kubeconfig?: string; context?: string; env?: NodeJS.ProcessEnv } = {}): ClientConfig {
  const env = opts.env ?? process.env;
  if (opts.kubeconfig) return loadKubeconfig(opts.kubeconfig, opts.context);
  const list = (env.KUBECONFIG ?? '').split(process.platform === 'win32' ? ';' : ':').filter((p) => p && existsSync(p));
  if (list.length > 0) {
    const files = list.map((p) => parseKubeconfig(readFileSync(p, 'utf8'), dirname(resolve(p))));
    return resolveContext(mergeKubeconfigs(files), opts.context);
  }
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return loadKubeconfig(home, opts.context);
  return inClusterConfig(env);
}
