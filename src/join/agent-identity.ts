import { createHash, X509Certificate } from 'node:crypto';
import https from 'node:https';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientConfig } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest.js';
import { isNotFound } from '../client/status.js';
import { StatusError } from '../api/errors.js';
import { resourceFor } from '../api/scheme/resources.js';
import type { KubeObject } from '../api/types.js';
import { CLUSTER_INFO_PATH } from '../auth/authn/anonymous.js';
import { JWS_PREFIX, KUBECONFIG_KEY, readClusterInfoKubeconfig } from './cluster-info.js';
import { caCertHash, type JoinToken } from './token.js';
import { verifyDetachedSignature } from './jws.js';
import { JoinError } from './errors.js';
import { createEcCsr } from '../pki/csr.js';
import { writeFileAtomic } from '../util/files.js';

// The agent's side of joining, as kubeadm's discovery and the kubelet's TLS
// bootstrap: read cluster-info without trusting the server, accept its CA
// only if it hashes to the token's pin, check the token signed it, then ask
// for a client certificate as the bootstrap token and wait for it. The CA
// and the certificate (with its key) are kept in the agent's pki directory
// (upstream's kubelet-client-current.pem), so a restart needs no token.

const CSRS = resourceFor('certificates.k8s.io', 'v1', 'certificatesigningrequests')!;
export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
const POLL_MS = 100;

export interface NodeIdentity {
  caPem: string;
  certPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
}

export interface IdentityFiles {
  dir: string;
  ca: string;
  current: string;
}

export function identityFiles(pkiDir: string, stem = 'kubelet-client'): IdentityFiles {
  return { dir: pkiDir, ca: join(pkiDir, 'ca.crt'), current: join(pkiDir, `${stem}-current.pem`) };
}

function splitPem(pem: string): { certPem: string; keyPem: string } {
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/.exec(pem)?.[0] ?? '';
  const key = /-----BEGIN (?:EC |RSA )?PRIVATE KEY-----[\s\S]*?-----END (?:EC |RSA )?PRIVATE KEY-----\n?/.exec(pem)?.[0] ?? '';
  return { certPem: cert, keyPem: key };
}

function identityOf(caPem: string, certPem: string, keyPem: string): NodeIdentity {
  const c = new X509Certificate(certPem);
  return { caPem, certPem, keyPem, notBefore: new Date(c.validFrom), notAfter: new Date(c.validTo) };
}

/** The saved identity when it is still good for this node: not expired, issued to system:node:NAME by the saved CA. */
export async function loadSavedIdentity(files: IdentityFiles, nodeName: string, now = Date.now()): Promise<NodeIdentity | null> {
  return loadSavedCertificate(files, `system:node:${nodeName}`, now);
}

/** A saved certificate for `commonName`, still valid and issued by the saved CA; null otherwise. */
export async function loadSavedCertificate(files: IdentityFiles, commonName: string, now = Date.now()): Promise<NodeIdentity | null> {
  let caPem: string;
  let both: string;
  try {
    [caPem, both] = await Promise.all([readFile(files.ca, 'utf8'), readFile(files.current, 'utf8')]);
  } catch {
    return null;
  }
  const { certPem, keyPem } = splitPem(both);
  if (!certPem || !keyPem) return null;
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.verify(new X509Certificate(caPem).publicKey)) return null;
    if (!cert.subject.split('\n').includes(`CN=${commonName}`)) return null;
    const id = identityOf(caPem, certPem, keyPem);
    return id.notAfter.getTime() > now ? id : null;
  } catch {
    return null;
  }
}

export async function saveIdentity(files: IdentityFiles, id: { caPem: string; certPem: string; keyPem: string }): Promise<void> {
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(files.ca, id.caPem, 0o644);
  await writeFileAtomic(files.current, id.certPem + id.keyPem, 0o600);
}

/** GET over TLS without verifying the server: the answer is checked against the token's pin instead. */
function insecureGet(server: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(new URL(path, server), { rejectUnauthorized: false, timeout: 10_000, headers: { Accept: 'application/json', 'User-Agent': 'k8ts-agent' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
  });
}

/** kubeadm's token discovery: the server's CA, trusted only when it matches the pin and the token signed cluster-info. */
export async function discoverCa(server: string, token: JoinToken): Promise<string> {
  let res;
  try {
    res = await insecureGet(server, CLUSTER_INFO_PATH);
  } catch (err) {
    throw new JoinError(`cannot reach the server at ${server}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'Unreachable');
  }
  if (res.status !== 200) throw new JoinError(`the server at ${server} did not give out cluster-info (HTTP ${res.status}); is it a k8ts server?`, 'BadServerAnswer');
  let data: Record<string, string>;
  let caPem: string;
  try {
    data = ((JSON.parse(res.body) as KubeObject).data ?? {}) as Record<string, string>;
    caPem = readClusterInfoKubeconfig(data[KUBECONFIG_KEY] ?? '').caCertPem;
  } catch (err) {
    throw new JoinError(`the server at ${server} gave out an unreadable cluster-info: ${(err as Error).message}`, 'BadServerAnswer');
  }
  let hash: string;
  try {
    hash = caCertHash(caPem);
  } catch {
    throw new JoinError(`the server at ${server} gave out a CA that is not a certificate`, 'BadServerAnswer');
  }
  if (hash !== token.caHash) {
    throw new JoinError(`the server's CA does not match the join token: it hashes to sha256:${hash}, the token pins sha256:${token.caHash} (wrong server, or someone in between)`, 'CAHashMismatch');
  }
  const jws = data[`${JWS_PREFIX}${token.tokenId}`];
  if (!jws) throw new JoinError(`the join token (id ${token.tokenId}) is invalid for this cluster or has expired`, 'TokenInvalidOrExpired');
  if (!verifyDetachedSignature(data[KUBECONFIG_KEY]!, jws, token.tokenId, token.tokenSecret)) {
    throw new JoinError(`the join token's secret is wrong: token id ${token.tokenId} exists but its signature of cluster-info does not verify`, 'TokenSecretWrong');
  }
  return caPem;
}

function csrName(publicKeyPem: string, subject: string): string {
  return createHash('sha256').update(publicKeyPem).update(subject).digest('hex').slice(0, 40);
}

/**
 * Creates a kubelet client CSR with `client` (the bootstrap token, or the
 * current node certificate when rotating) and waits until it is approved and
 * signed. `onWait` is told every few seconds, so nobody wonders if it hung.
 */
export async function requestNodeCertificate(client: RestClient, caPem: string, nodeName: string, onWait: (msg: string) => void = () => {}): Promise<NodeIdentity> {
  return requestClientCertificate(client, caPem, { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], signerName: KUBELET_CLIENT_SIGNER, prefix: 'node-csr' }, onWait);
}

export interface ClientCertificateRequest {
  commonName: string;
  organizations: string[];
  signerName: string;
  /** CSR name prefix: node-csr (the kubelet's), proxy-csr. */
  prefix: string;
}

/** Any client certificate through a CSR: created with `client`, waited for until approved and signed. */
export async function requestClientCertificate(client: RestClient, caPem: string, want: ClientCertificateRequest, onWait: (msg: string) => void = () => {}): Promise<NodeIdentity> {
  const { csrPem, keyPem } = await createEcCsr({ commonName: want.commonName, organizations: want.organizations });
  const { createPublicKey, createPrivateKey } = await import('node:crypto');
  const name = `${want.prefix}-${csrName(createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'pem' }).toString(), want.commonName)}`;
  try {
    await client.create(CSRS, undefined, {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name },
      spec: { request: Buffer.from(csrPem).toString('base64'), signerName: want.signerName, usages: ['digital signature', 'client auth'] },
    } as KubeObject);
  } catch (err) {
    if (err instanceof StatusError && err.code === 401) throw new JoinError('the server refused the join token (401 Unauthorized): it is wrong or has expired', 'TokenRefused');
    if (err instanceof StatusError && err.code === 403) throw new JoinError(`the join token may not request node certificates: ${err.message}`, 'TokenRefused');
    throw err;
  }
  onWait(`certificate signing request ${name} created; waiting for it to be approved and signed`);
  const started = Date.now();
  let told = started;
  for (;;) {
    let csr: KubeObject;
    try {
      csr = await client.get(CSRS, undefined, name);
    } catch (err) {
      if (isNotFound(err)) throw new JoinError(`certificate signing request ${name} was deleted before it was signed`, 'Failed');
      throw err;
    }
    const status = (csr.status ?? {}) as { certificate?: string; conditions?: { type: string; reason?: string; message?: string }[] };
    const bad = status.conditions?.find((c) => c.type === 'Denied' || c.type === 'Failed');
    if (bad) throw new JoinError(`certificate signing request ${name} was ${bad.type === 'Denied' ? 'denied' : 'not signed'}: ${bad.reason ?? ''}${bad.message ? ` (${bad.message})` : ''}`, bad.type === 'Denied' ? 'Denied' : 'Failed');
    if (status.certificate) return identityOf(caPem, Buffer.from(status.certificate, 'base64').toString('utf8'), keyPem);
    if (Date.now() - told >= 5000) {
      told = Date.now();
      const approved = status.conditions?.some((c) => c.type === 'Approved');
      onWait(`still waiting for ${name} to be ${approved ? 'signed (approved)' : 'approved (kubectl certificate approve ' + name + ')'} after ${Math.round((told - started) / 1000)}s`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export function bootstrapClientConfig(server: string, caPem: string, token: JoinToken): ClientConfig {
  return { server, caData: Buffer.from(caPem), token: `${token.tokenId}.${token.tokenSecret}`, namespace: 'default' };
}

/** `servers`: the other API servers of the cluster, tried in turn when `server` cannot be reached. */
export function nodeClientConfig(server: string, id: NodeIdentity, servers?: string[]): ClientConfig {
  return { server, ...(servers && servers.length > 1 ? { servers: servers.filter((u) => u !== server) } : {}), caData: Buffer.from(id.caPem), certData: Buffer.from(id.certPem), keyData: Buffer.from(id.keyPem), namespace: 'default' };
}

/** The token-free path for a restart, else discovery and a new certificate. */
export async function obtainNodeIdentity(o: { server: string; token?: JoinToken; nodeName: string; files: IdentityFiles; progress: (msg: string) => void }): Promise<{ identity: NodeIdentity; reused: boolean }> {
  const saved = await loadSavedIdentity(o.files, o.nodeName);
  if (saved) return { identity: saved, reused: true };
  if (!o.token) throw new JoinError(`no valid node certificate in ${o.files.dir} and no --token to get one`, 'TokenRefused');
  o.progress(`fetching the cluster CA from ${o.server} and checking it against the join token`);
  const caPem = await discoverCa(o.server, o.token);
  o.progress(`the server's CA matches the token (sha256:${o.token.caHash.slice(0, 16)}…); requesting a client certificate for system:node:${o.nodeName}`);
  const client = new RestClient(bootstrapClientConfig(o.server, caPem, o.token), { component: 'kubelet-bootstrap' });
  try {
    const identity = await requestNodeCertificate(client, caPem, o.nodeName, o.progress);
    await saveIdentity(o.files, identity);
    return { identity, reused: false };
  } finally {
    client.close();
  }
}
