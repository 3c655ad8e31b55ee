import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readOptional, writeFileAtomic } from '../util/files.js';

// etcd's own CA (DIR/pki/etcd/ca.{crt,key}) and the certificates issued from
// it at every start: the member's serving and peer certificates (both
// usages: members dial each other with their peer certificate) and the API
// server's client certificate. A CA of its own, as kubeadm's etcd/ca and
// k3s's etcd/server-ca: etcd lets in any client certificate its CA signed,
// and the cluster CA signs kubelets' and users' certificates, which must
// never open etcd.

const CA_DAYS = 3650;
const LEAF_DAYS = 365;
const maker = () => import('../pki/maker.js');

export interface EtcdCa {
  certPem: string;
  keyPem: string;
}

export interface EtcdPkiFiles {
  dir: string;
  ca: string;
  caKey: string;
  server: string;
  serverKey: string;
  peer: string;
  peerKey: string;
  client: string;
  clientKey: string;
}

export function etcdPkiFiles(dataDir: string): EtcdPkiFiles {
  const dir = join(dataDir, 'pki', 'etcd');
  const f = (n: string) => join(dir, n);
  return { dir, ca: f('ca.crt'), caKey: f('ca.key'), server: f('server.crt'), serverKey: f('server.key'), peer: f('peer.crt'), peerKey: f('peer.key'), client: f('client.crt'), clientKey: f('client.key') };
}

/** The etcd CA: `given` (a joining server's copy of the cluster's) is written; else the one on disk; else a new one. */
export async function ensureEtcdCa(files: EtcdPkiFiles, given?: EtcdCa): Promise<EtcdCa> {
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  if (given) {
    await writeFileAtomic(files.caKey, given.keyPem, 0o600);
    await writeFileAtomic(files.ca, given.certPem, 0o644);
    return given;
  }
  const [certPem, keyPem] = await Promise.all([readOptional(files.ca), readOptional(files.caKey)]);
  if (certPem && keyPem) return { certPem, keyPem };
  const ca = await (await maker()).createCa('k8ts-etcd-ca', CA_DAYS);
  await writeFileAtomic(files.caKey, ca.keyPem, 0o600);
  await writeFileAtomic(files.ca, ca.certPem, 0o644);
  return ca;
}

/** Fresh leaf certificates for this member's names and addresses (cheap EC keys, so every start). */
export async function issueMemberCerts(files: EtcdPkiFiles, ca: EtcdCa, member: { name: string; ips: string[]; hostnames: string[] }): Promise<void> {
  const m = await maker();
  const sans = { dnsNames: ['localhost', ...member.hostnames], ips: ['127.0.0.1', ...member.ips] };
  const server = await m.issueLeaf(ca, { subject: { commonName: member.name }, days: LEAF_DAYS, usages: ['server', 'client'], ...sans });
  const peer = await m.issueLeaf(ca, { subject: { commonName: member.name }, days: LEAF_DAYS, usages: ['server', 'client'], ...sans });
  const client = await m.issueLeaf(ca, { subject: { commonName: 'kube-apiserver-etcd-client' }, days: LEAF_DAYS, usages: ['client'] });
  for (const [cert, key, pair] of [[files.server, files.serverKey, server], [files.peer, files.peerKey, peer], [files.client, files.clientKey, client]] as const) {
    await writeFileAtomic(key, pair.keyPem, 0o600);
    await writeFileAtomic(cert, pair.certPem, 0o644);
  }
}

/** The API server's (and etcdctl's) client TLS as PEM. */
export async function clientTls(files: EtcdPkiFiles): Promise<{ caPem: Buffer; certPem: Buffer; keyPem: Buffer }> {
  const [caPem, certPem, keyPem] = await Promise.all([readFile(files.ca), readFile(files.client), readFile(files.clientKey)]);
  return { caPem, certPem, keyPem };
}
