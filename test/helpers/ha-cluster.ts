// Several real `k8ts server` processes over one etcd, as an HA control plane:
// each has its own data dir and port, all share the cluster CA and the
// service-account key (copied from the first server's DIR/pki, as an operator
// copies them to every control-plane host), and each advertises its own
// address so the `kubernetes` Service lists one endpoint per server.
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startK8ts, type K8tsProcess } from './k8ts-process.js';
import { until } from './wait.js';

export interface HaServer {
  index: number;
  dataDir: string;
  /** The admin kubeconfig pointing at this server only. */
  kubeconfig: string;
  /** The address this server advertises in the kubernetes Service's endpoints. */
  advertise: string;
  proc: K8tsProcess;
  alive: boolean;
  /** SIGKILL: no clean shutdown, no lease released. */
  kill(): Promise<void>;
}

export interface HaCluster {
  root: string;
  servers: HaServer[];
  alive(): HaServer[];
  /** Starts server i again on its data dir (after a kill). */
  restart(i: number): Promise<HaServer>;
  stop(): Promise<void>;
}

export function advertiseOf(i: number): string {
  return `10.250.0.${i + 1}`;
}

/** `extra`: more flags for every server, or per server from its index and data dir. */
export async function startHaCluster(n: number, etcdEndpoints: string[], extra: string[] | ((i: number, dataDir: string) => string[]) = []): Promise<HaCluster> {
  const root = await mkdtemp(join(tmpdir(), 'k8ts-ha-'));
  const servers: HaServer[] = [];
  const launch = async (i: number): Promise<HaServer> => {
    const dataDir = join(root, `server-${i}`);
    const args = ['server', '--storage', 'etcd', '--etcd-endpoints', etcdEndpoints.join(','), '--data-dir', dataDir, '--port', '0', '--disable-agent', '--disable-dns', '--advertise-address', advertiseOf(i), ...(typeof extra === 'function' ? extra(i, dataDir) : extra)];
    const proc = await startK8ts(args);
    const s: HaServer = {
      index: i,
      dataDir,
      kubeconfig: join(dataDir, 'kubeconfig.yaml'),
      advertise: advertiseOf(i),
      proc,
      alive: true,
      async kill() {
        if (!s.alive) return;
        s.alive = false;
        proc.child.kill('SIGKILL');
        await proc.exited;
      },
    };
    servers[i] = s;
    return s;
  };
  const cluster: HaCluster = {
    root,
    servers,
    alive: () => servers.filter((s) => s.alive),
    restart: (i) => launch(i),
    async stop() {
      await Promise.all(
        servers.map(async (s) => {
          if (!s.alive) return;
          s.alive = false;
          s.proc.child.kill('SIGCONT');
          const code = await Promise.race([s.proc.stop(), new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000).unref())]);
          if (code === 'hung') {
            s.proc.child.kill('SIGKILL');
            await s.proc.exited;
          }
        }),
      );
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    await launch(0);
    for (let i = 1; i < n; i++) {
      await cp(join(root, 'server-0', 'pki'), join(root, `server-${i}`, 'pki'), { recursive: true });
      await launch(i);
    }
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** What the HA suites need of a client-node CoreV1Api to make a Node. */
interface NodeWriter {
  readNode(p: { name: string }): Promise<object>;
  replaceNodeStatus(p: { name: string; body: object }): Promise<unknown>;
}

/**
 * Sets a new Node's status, reading it again after a conflict: the servers'
 * own controllers (node IPAM, node lifecycle) may write it first.
 */
export async function setNodeStatus(core: NodeWriter, name: string, status: object): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await core.replaceNodeStatus({ name, body: { ...(await core.readNode({ name })), status } });
      return;
    } catch (err) {
      if ((err as { code?: number }).code !== 409 || attempt >= 10) throw err;
    }
  }
}

/** The HA suites' audit policy: every pods/binding request, nothing else. */
export const BINDING_AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  resources:
  - group: ""
    resources: ["pods/binding"]
- level: None
`;

/** One pods/binding answer from a server's audit log. */
export interface BindingRecord {
  pod: string;
  code: number;
  server: number;
}

/** Every pods/binding answer in the servers' audit logs. */
export async function bindings(cluster: HaCluster): Promise<BindingRecord[]> {
  const out: BindingRecord[] = [];
  for (const s of cluster.servers) {
    const text = await readFile(join(s.dataDir, 'audit.log'), 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const ev = JSON.parse(line) as { stage: string; objectRef?: { namespace?: string; name?: string; subresource?: string }; responseStatus?: { code?: number } };
      if (ev.stage !== 'ResponseComplete' || ev.objectRef?.subresource !== 'binding') continue;
      out.push({ pod: `${ev.objectRef.namespace}/${ev.objectRef.name}`, code: ev.responseStatus?.code ?? 0, server: s.index });
    }
  }
  return out;
}

/**
 * The bindings once the audit logs hold one for each of these pods (namespace/name). The audit line is
 * written through a file stream after the response has gone, so a pod a client already sees bound may
 * still lack its line for a moment: reading at once made "bound exactly once" count none.
 */
export async function bindingsCovering(cluster: HaCluster, pods: string[]): Promise<BindingRecord[]> {
  let last: BindingRecord[] = [];
  try {
    return await until('a binding in the audit logs for every pod', async () => {
      last = await bindings(cluster);
      const seen = new Set(last.map((r) => r.pod));
      return pods.every((p) => seen.has(p)) ? last : undefined;
    }, 10_000);
  } catch {
    // Missing for good: the caller's count says which.
    return last;
  }
}

/**
 * The flags both HA suites give each server: leases short enough to hand over
 * within a test (lease 6 s, renew deadline 3 s: a binding sent just before the
 * deadline has 3 s to land before a successor may start), nodes never marked
 * unhealthy (they have no kubelet), and an audit log of bindings from `policy`.
 */
export function fastElectionAuditedFlags(policy: string, dir: string): string[] {
  return [
    '--leader-elect-lease-duration', '6s',
    '--leader-elect-renew-deadline', '3s',
    '--leader-elect-retry-period', '500ms',
    '--node-monitor-grace-period', '1h',
    '--node-startup-grace-period', '1h',
    '--audit-policy-file', policy,
    '--audit-log-path', join(dir, 'audit.log'),
  ];
}

