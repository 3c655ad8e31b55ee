import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

// Who this host's etcd member is, kept in DIR/etcd/member.json from its first
// start: a restart (or a snapshot restore) must come back under the same name
// and URLs, or the cluster would see a stranger. The name is the node name
// plus a random suffix, as k3s's, so two hosts with one hostname never clash.

export const DEFAULT_CLIENT_PORT = 2379;
export const DEFAULT_PEER_PORT = 2380;

export interface MemberConfig {
  name: string;
  /** The address other members and servers reach this one at. */
  ip: string;
  clientPort: number;
  peerPort: number;
}

export function etcdDir(dataDir: string): string {
  return join(dataDir, 'etcd');
}

export function memberDataDir(dataDir: string): string {
  return join(etcdDir(dataDir), 'data');
}

function configFile(dataDir: string): string {
  return join(etcdDir(dataDir), 'member.json');
}

const host = (ip: string): string => (ip.includes(':') ? `[${ip}]` : ip);
export const peerUrl = (m: MemberConfig): string => `https://${host(m.ip)}:${m.peerPort}`;
export const clientUrl = (m: MemberConfig): string => `https://${host(m.ip)}:${m.clientPort}`;
/** What this host's own API server dials: loopback, so it never depends on the network to reach its member. */
export const localClientUrl = (m: MemberConfig): string => `https://127.0.0.1:${m.clientPort}`;

/** True once this data dir runs a managed etcd member (so a plain `k8ts server` restart keeps using it, as k3s). */
export function hasManagedEtcd(dataDir: string): boolean {
  return existsSync(configFile(dataDir));
}

export function hasMemberData(dataDir: string): boolean {
  return existsSync(join(memberDataDir(dataDir), 'member'));
}

export async function loadMemberConfig(dataDir: string): Promise<MemberConfig | null> {
  try {
    return JSON.parse(await readFile(configFile(dataDir), 'utf8')) as MemberConfig;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export async function ensureMemberConfig(dataDir: string, want: { nodeName?: string; ip: string; clientPort?: number; peerPort?: number }): Promise<MemberConfig> {
  const have = await loadMemberConfig(dataDir);
  if (have) return have;
  const cfg: MemberConfig = {
    name: `${(want.nodeName ?? hostname()).toLowerCase()}-${randomBytes(4).toString('hex')}`,
    ip: want.ip,
    clientPort: want.clientPort ?? DEFAULT_CLIENT_PORT,
    peerPort: want.peerPort ?? DEFAULT_PEER_PORT,
  };
  await mkdir(etcdDir(dataDir), { recursive: true, mode: 0o700 });
  await writeFile(configFile(dataDir), JSON.stringify(cfg, null, 2) + '\n', { mode: 0o600 });
  return cfg;
}
