import { resolve } from 'node:path';
import { hostname } from 'node:os';
import type { Etcd3 } from 'etcd3';
import { connectEtcd } from '../storage/etcd/client.js';
import { resourceFor } from '../api/scheme/resources.js';
import { Informer } from '../client/informer.js';
import { RestClient } from '../client/rest.js';
import type { ClientConfig } from '../client/kubeconfig.js';
import { parseJoinToken, type JoinToken } from '../join/token.js';
import type { Registry } from '../apiserver/handlers/context.js';
import type { ClusterPki } from '../pki/index.js';
import { logger } from '../util/log.js';
import { etcdBinary } from './binary.js';
import { publishServerBootstrap } from './bootstrap.js';
import { ManagedEtcdError } from './errors.js';
import { addMember, fetchServerBootstrap, installClusterKeys, removeMembers } from './join.js';
import { clientUrl, ensureMemberConfig, hasManagedEtcd, hasMemberData, localClientUrl, peerUrl, type MemberConfig } from './member.js';
import { clientTls, ensureEtcdCa, etcdPkiFiles, issueMemberCerts, type EtcdCa } from './pki.js';
import { EtcdMemberProcess } from './process.js';

// Managed etcd, as k3s's --cluster-init / --server: this host runs an etcd
// member under DIR/etcd and its API server stores into it (over loopback, as
// k3s's does). The first server starts a one-member cluster; each next one
// joins with the server token and adds itself as a member. A data dir that
// once ran a member keeps doing so on a plain restart.
//
// Removing a server, as k3s: delete its Node (`kubectl delete node NAME`).
// Every managed server watches Nodes and removes the etcd members named
// NAME-<8 hex> (the member name is the node name and a random suffix); the
// removed server's etcd then stops and that server shuts down. Stopping a
// server (SIGTERM) never removes its member: a restart must find it there.

const log = logger('etcd');
const NODES = resourceFor('', 'v1', 'nodes')!;

export interface ManagedEtcdFlags {
  clusterInit?: boolean;
  server?: string;
  token?: string;
  dataDir: string;
  nodeName?: string;
  etcdClientPort?: string;
  etcdPeerPort?: string;
  /** Set here for the API server: etcd storage, the local member's URL and client TLS. */
  storage?: string;
  etcdEndpoints?: string;
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
}

export interface ManagedEtcd {
  member: MemberConfig;
  process: EtcdMemberProcess;
  /** Once the API server runs: publish the server token and start removing the members of deleted Nodes. */
  afterApiServer(o: { registry: Registry; pki: ClusterPki; server: string; clientConfig: ClientConfig }): Promise<{ token: string; tokenFile: string }>;
  stop(): Promise<void>;
}

function port(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${flag} must be a port number, not ${v}`);
  return n;
}

/** The etcd client URL on the host of a server URL (members listen for clients on the same port everywhere). */
function etcdUrlOf(serverUrl: string, clientPort: number): string {
  const u = new URL(serverUrl);
  return `https://${u.hostname}:${clientPort}`;
}

/**
 * etcd refuses a removal that would leave fewer members connected for the last
 * few seconds than a quorum (strict reconfiguration check), e.g. right after a
 * member restarted: tried again for a while.
 */
async function removeWithRetry(remove: () => Promise<string[]>): Promise<string[]> {
  const t0 = Date.now();
  for (;;) {
    try {
      return await remove();
    } catch (err) {
      if (!/unhealthy cluster|leader changed|no leader|timed out/i.test((err as Error).message) || Date.now() - t0 > 120_000) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Starts this host's etcd member when the flags or the data dir ask for managed etcd; undefined otherwise. */
export async function startManagedEtcd(flags: ManagedEtcdFlags, advertiseIp: string, progress: (m: string) => void): Promise<ManagedEtcd | undefined> {
  const dataDir = resolve(flags.dataDir);
  if (!flags.clusterInit && !flags.server && !hasManagedEtcd(dataDir)) return undefined;
  if (flags.clusterInit && flags.server) throw new Error('--cluster-init starts a new cluster and --server joins one: give only one');
  if (flags.etcdEndpoints) throw new Error('--etcd-endpoints names an external etcd; managed etcd (--cluster-init, --server) runs its own: give one or the other');
  etcdBinary();
  const member = await ensureMemberConfig(dataDir, { nodeName: flags.nodeName, ip: advertiseIp, clientPort: port(flags.etcdClientPort, '--etcd-client-port'), peerPort: port(flags.etcdPeerPort, '--etcd-peer-port') });
  const files = etcdPkiFiles(dataDir);
  const fresh = !hasMemberData(dataDir);
  const joining = fresh && !!flags.server;
  let joinToken: JoinToken | undefined;
  let etcdCa: EtcdCa;
  if (joining) {
    const text = flags.token ?? process.env.K8TS_TOKEN;
    if (!text) throw new Error('--server needs --token: the first server\'s DIR/token');
    joinToken = parseJoinToken(text);
    const server = flags.server!.replace(/\/+$/, '');
    if (!server.startsWith('https://')) throw new Error(`--server must be an https:// URL, not ${flags.server}`);
    const b = await fetchServerBootstrap(server, joinToken, progress);
    await installClusterKeys(dataDir, b);
    etcdCa = await ensureEtcdCa(files, b.etcdCa);
  } else {
    etcdCa = await ensureEtcdCa(files);
  }
  await issueMemberCerts(files, etcdCa, { name: member.name, ips: [member.ip], hostnames: [hostname()] });
  const tls = await clientTls(files);
  let initialCluster: { members: string; state: 'new' | 'existing' } | undefined;
  if (joining) initialCluster = { members: await addMember([etcdUrlOf(flags.server!, member.clientPort)], tls, member, progress), state: 'existing' };
  else if (fresh) initialCluster = { members: `${member.name}=${peerUrl(member)}`, state: 'new' };
  else progress(`etcd member ${member.name} has data in ${dataDir}/etcd: starting it as it was`);
  const proc = new EtcdMemberProcess({
    dataDir,
    member,
    pki: files,
    tls,
    initialCluster,
    progress,
    onRemoved: () => process.kill(process.pid, 'SIGTERM'),
  });
  try {
    await proc.start();
  } catch (err) {
    await proc.stop();
    throw err;
  }
  flags.storage = 'etcd';
  flags.etcdEndpoints = localClientUrl(member);
  flags.etcdCafile = files.ca;
  flags.etcdCertfile = files.client;
  flags.etcdKeyfile = files.clientKey;

  let nodes: Informer | undefined;
  let nodeClient: RestClient | undefined;
  let etcd: Etcd3 | undefined;
  return {
    member,
    process: proc,
    async afterApiServer(o) {
      const published = await publishServerBootstrap(o.registry, { dataDir, server: o.server, pki: o.pki, etcdCa, joinedWith: joinToken });
      progress(`server token in ${published.tokenFile}; to add a server: k8ts server --server ${o.server} --token $(cat ${published.tokenFile})  (etcd member ${member.name}, client ${clientUrl(member)})`);
      etcd = connectEtcd([localClientUrl(member)], tls);
      nodeClient = new RestClient(o.clientConfig, { component: 'etcd-member-remover' });
      nodes = new Informer(nodeClient, NODES);
      nodes.addEventHandler({
        onDelete: (node) => {
          const name = node.metadata.name!;
          const re = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{8}$`);
          removeWithRetry(() => removeMembers(etcd!, (n) => re.test(n))).then(
            (gone) => {
              for (const g of gone) progress(`Node ${name} was deleted: removed its etcd member ${g}`);
            },
            (err: Error) => log.warn({ node: name, err: err.message }, 'could not remove the etcd member of a deleted Node'),
          );
        },
      });
      nodes.start();
      return published;
    },
    async stop() {
      await nodes?.stop();
      nodeClient?.close();
      etcd?.close();
      await proc.stop();
    },
  };
}

export { ManagedEtcdError };
