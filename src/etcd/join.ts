import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { connectEtcd } from '../storage/etcd/client.js';
import { resourceFor } from '../api/scheme/resources.js';
import { RestClient } from '../client/rest.js';
import { bootstrapClientConfig, discoverCa } from '../join/agent-identity.js';
import { JoinError } from '../join/errors.js';
import { caCertHash, type JoinToken } from '../join/token.js';
import { ManagedEtcdError } from './errors.js';
import { peerUrl, type MemberConfig } from './member.js';
import { readServerBootstrap, SERVER_BOOTSTRAP_SECRET, type ServerBootstrap } from './bootstrap.js';

// A server joining with --server URL --token T: the CA is checked against the
// token exactly as an agent checks it (cluster-info, its JWS and the pinned
// hash), the cluster's keys are read with the token, and the new member is
// added through etcd's own Cluster API (MemberAdd) before its etcd starts.

const SECRETS = resourceFor('', 'v1', 'secrets')!;
const SIGNATURE_WAIT_MS = 120_000;
const ADD_WAIT_MS = 180_000;

/** Checks the server's CA against the token and reads the bootstrap Secret with it. */
export async function fetchServerBootstrap(server: string, token: JoinToken, progress: (m: string) => void): Promise<ServerBootstrap> {
  progress(`fetching the cluster CA from ${server} and checking it against the server token`);
  const t0 = Date.now();
  let caPem: string;
  for (let said = t0; ; ) {
    try {
      caPem = await discoverCa(server, token);
      break;
    } catch (err) {
      // Another server rewriting cluster-info drops the signatures until the bootstrap signer redoes them.
      const retry = err instanceof JoinError && (err.reason === 'TokenInvalidOrExpired' || err.reason === 'Unreachable');
      if (!retry || Date.now() - t0 > SIGNATURE_WAIT_MS) throw new ManagedEtcdError(`cannot join ${server}: ${(err as Error).message}`, 'JoinFailed');
      if (Date.now() - said > 5000) {
        said = Date.now();
        progress(`still waiting for ${server} to vouch for its CA (${(err as Error).message})`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  progress(`the server's CA matches the token (sha256:${token.caHash.slice(0, 16)}…); reading the cluster's keys with it`);
  const client = new RestClient(bootstrapClientConfig(server, caPem, token), { component: 'k8ts-server-join' });
  try {
    return readServerBootstrap(await client.get(SECRETS, 'kube-system', SERVER_BOOTSTRAP_SECRET));
  } catch (err) {
    throw new ManagedEtcdError(`cannot join ${server}: reading kube-system/${SERVER_BOOTSTRAP_SECRET} with the token failed (${(err as Error).message}); is it the server token (DIR/token), not an agent's node-token?`, 'JoinFailed');
  } finally {
    client.close();
  }
}

/** Writes the cluster CA and service-account keys into DIR/pki, so this server issues and checks what the others do. */
export async function installClusterKeys(dataDir: string, b: ServerBootstrap): Promise<void> {
  const dir = join(dataDir, 'pki');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const have = await readFile(join(dir, 'ca.crt'), 'utf8').catch(() => undefined);
  if (have && caCertHash(have) !== caCertHash(b.caCertPem)) {
    throw new ManagedEtcdError(`${dir} holds another cluster's CA; use an empty --data-dir to join this cluster`, 'BadDataDir');
  }
  for (const [f, v, mode] of [['ca.key', b.caKeyPem, 0o600], ['ca.crt', b.caCertPem, 0o644], ['sa.key', b.saKeyPem, 0o600], ['sa.pub', b.saPubPem, 0o644]] as const) {
    await writeFile(join(dir, f), v, { mode });
    await chmod(join(dir, f), mode);
  }
}

/**
 * Adds this member to the cluster behind `endpoints` (idempotent: a member
 * already added under our peer URL by an earlier, interrupted join is kept)
 * and returns etcd's --initial-cluster for it, as `etcdctl member add` prints.
 */
export async function addMember(endpoints: string[], tls: { caPem: Buffer; certPem: Buffer; keyPem: Buffer }, me: MemberConfig, progress: (m: string) => void): Promise<string> {
  // etcd's own client without retries or a circuit breaker (the storage backend's): each attempt is one call.
  const client = connectEtcd(endpoints, tls);
  const t0 = Date.now();
  let said = t0;
  try {
    for (;;) {
      try {
        const mine = peerUrl(me);
        let list = (await client.cluster.memberList({})).members;
        let myId = list.find((m) => m.peerURLs.includes(mine))?.ID;
        if (myId) progress(`this host's peer URL ${mine} is already an etcd member (an earlier join); starting it`);
        else {
          progress(`adding etcd member ${me.name} (${mine}) to the cluster of ${list.map((m) => m.name || m.ID).join(', ')}`);
          const res = await client.cluster.memberAdd({ peerURLs: [mine] });
          myId = res.member.ID;
          list = res.members;
        }
        return list.flatMap((m) => m.peerURLs.map((u) => `${m.ID === myId ? me.name : m.name}=${u}`)).join(',');
      } catch (err) {
        // etcd refuses a new voting member until every member has been connected for a while
        // (its strict reconfiguration check): a server that joined a moment ago makes the next wait.
        if (!/unhealthy cluster|not enough started members|leader changed|no leader/i.test((err as Error).message) || Date.now() - t0 > ADD_WAIT_MS) throw err;
        if (Date.now() - said > 3000) {
          said = Date.now();
          progress(`etcd is not ready to take a member yet (${(err as Error).message}); trying again (${Math.round((Date.now() - t0) / 1000)} s)`);
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } catch (err) {
    throw new ManagedEtcdError(`cannot add this host as an etcd member through ${endpoints.join(', ')}: ${(err as Error).message}`, 'JoinFailed');
  } finally {
    client.close();
  }
}

/** Removes the members whose name passes `which` (idempotent); used when a server's Node is deleted. */
export async function removeMembers(client: Etcd3, which: (name: string) => boolean): Promise<string[]> {
  const removed: string[] = [];
  for (const m of (await client.cluster.memberList({})).members) {
    if (!which(m.name)) continue;
    try {
      await client.cluster.memberRemove({ ID: m.ID });
      removed.push(m.name);
    } catch (err) {
      if (!/not found/i.test((err as Error).message)) throw err;
    }
  }
  return removed;
}
