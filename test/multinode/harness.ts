// N "hosts" on this machine, as real as one machine allows: each a network
// namespace on the test switch of ../helpers/netns-hosts.ts, with its own
// address in a test subnet, its own data dir and kubelet --root-dir, a route
// for Service IPs and (optionally) Docker's FORWARD DROP policy. Host 0 runs
// `k8ts server`; the others run a node agent. close() takes everything down:
// processes (and the pods they left), mounts, namespaces, the uplink, the dirs.
//
// startNodeAgent() is the one place that says how a host joins: `k8ts agent
// --server URL --token T`, the real join path (discovery against the token's
// CA pin, the CSRs, then kubelet, kube-proxy, the pod network agent and the
// local-path provisioner in one process), with the server's node-token.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { isRoot, running, startNetnsNetwork, type HostProc, type NetnsHost } from '../helpers/netns-hosts.js';
import { until } from '../helpers/wait.js';

export { isRoot };
const API_PORT = 6443;

export interface Host extends NetnsHost {
  /** Its Node's name. */
  name: string;
  rootDir: string;
}

export interface ClusterOptions {
  hosts: number;
  /** --flannel-backend of every node. */
  backend: 'host-gw' | 'vxlan' | 'auto';
  /** Extra `k8ts server` flags (fast failover profile). */
  serverArgs?: string[];
  /** Kubelet tuning of the agents, as `k8ts agent --kubelet-arg NAME=VALUE` takes it. */
  kubeletArgs?: string[];
  /**
   * The server host's node: `k8ts server`'s own kubelet and proxy (true), or
   * `--disable-agent` and a `k8ts agent` like every other host's (false: the
   * fast failover profile needs the kubelet lease flags `--kubelet-arg` passes).
   */
  embeddedAgent?: boolean;
  /** Every host's FORWARD policy (DROP: as Docker leaves a host). */
  forwardPolicy?: 'ACCEPT' | 'DROP';
  /** Hosts (by index) to leave without an agent at start (they join later). */
  deferred?: number[];
  /** A link between every two hosts besides the switch (NetnsNetworkOptions.mesh). */
  mesh?: boolean;
}

export interface MultiHostCluster {
  hosts: Host[];
  subnet: string;
  /** Admin kubeconfig pointing at the server host's address. */
  kubeconfig: string;
  dir: string;
  /** Runs a command inside a host's network namespace. */
  exec(host: Host, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  startNodeAgent(host: Host): Promise<void>;
  /** Any `k8ts` command inside a host's namespace (its output also written to LOG under the host's dir). */
  k8tsOn(host: Host, args: string[], log: string): HostProc;
  /** SIGKILLs a host's agent processes (its pods keep running, as on a real host whose agent crashed). */
  killNodeAgent(host: Host): Promise<void>;
  setLink(host: Host, up: boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startMultiHostCluster(o: ClusterOptions): Promise<MultiHostCluster> {
  // Service IPs need a route before kube-proxy's DNAT, as there is no default route.
  const net = await startNetnsNetwork({ hosts: o.hosts, net: '10.199', tag: 'k8', routes: ['10.0.0.0/24'], forwardPolicy: o.forwardPolicy, mesh: o.mesh });
  const hosts: Host[] = net.hosts.map((h) => Object.assign(h, { name: `host${h.index}-${net.id}`, rootDir: join(h.dir, 'kubelet') }));
  const server = hosts[0]!;
  const serverURL = `https://${server.ip}:${API_PORT}`;
  const kubeconfig = join(net.dir, 'admin.kubeconfig');

  const startNodeAgent = async (h: Host): Promise<void> => {
    const token = (await readFile(join(server.dir, 'data', 'node-token'), 'utf8')).trim();
    const tuning = (o.kubeletArgs ?? []).flatMap((a) => ['--kubelet-arg', a]);
    const agent = net.k8ts(h, ['agent', '--server', serverURL, '--token', token, '--node-name', h.name, '--runtime', 'exec', '--data-dir', h.dir, '--root-dir', h.rootDir, '--node-ip', h.ip, '--kubelet-port', '10250', '--flannel-backend', o.backend, '--min-sync-period', '200ms', '--kubelet-arg', 'resolv-conf=', ...tuning], join(h.dir, `agent-${h.procs.length}.log`));
    await agent.waitFor(/proxy: \S+ rules in place/, `k8ts agent of ${h.name}`);
  };

  const cluster: MultiHostCluster = {
    hosts,
    subnet: net.subnet,
    kubeconfig,
    dir: net.dir,
    exec: (h, argv) => net.exec(h, argv),
    startNodeAgent,
    k8tsOn: (h, args, log) => net.k8ts(h, args, join(h.dir, log)),
    async killNodeAgent(h) {
      for (const p of h.procs) if (running(p)) p.child.kill('SIGKILL');
      await Promise.all(h.procs.map((p) => p.exited));
    },
    setLink: (h, up) => net.setLink(h, up),
    close: () => net.close(),
  };

  try {
    const srv = net.k8ts(server, ['server', '--data-dir', join(server.dir, 'data'), '--port', String(API_PORT), '--bind-address', '0.0.0.0', '--runtime', 'exec', '--node-name', server.name, '--kubelet-port', '10250', '--disable-dns', ...(o.embeddedAgent ? [] : ['--disable-agent']), '--flannel-backend', o.backend, '--min-sync-period', '200ms', ...(o.serverArgs ?? [])], join(server.dir, 'server.log'));
    await srv.waitFor(/k8ts server is ready/, 'k8ts server');
    const admin = parseYaml(await readFile(join(server.dir, 'data', 'kubeconfig.yaml'), 'utf8')) as { clusters: { cluster: { server: string } }[] };
    for (const c of admin.clusters) c.cluster.server = serverURL;
    await writeFile(kubeconfig, stringifyYaml(admin));
    await until('the API server answers from the test network', async () => ((await kubectl(kubeconfig, ['get', '--raw', '/readyz'])).code === 0 ? true : undefined));
    const deferred = new Set(o.deferred ?? []);
    for (const h of o.embeddedAgent ? hosts.slice(1) : hosts) if (!deferred.has(h.index)) await startNodeAgent(h);
  } catch (err) {
    await net.close();
    throw err;
  }
  return cluster;
}

/** Node name → Ready status, from kubectl. */
export async function nodeReadiness(c: MultiHostCluster): Promise<Map<string, string>> {
  const out = await kubectlOk(c.kubeconfig, ['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
  return new Map(out.split('\n').filter(Boolean).map((l) => l.split('=') as [string, string]));
}

