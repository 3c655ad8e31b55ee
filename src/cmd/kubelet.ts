import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { RestClient } from '../client/rest.js';
import { loadDefaultConfig, loadKubeconfig, type ClientConfig } from '../client/kubeconfig.js';
import { startKubelet as runKubelet, type RunningKubelet } from '../kubelet/kubelet.js';
import type { KubeletOptions } from '../kubelet/options.js';
import { parseGoDuration } from '../kubelet/util/duration.js';
import type { ContainerRuntime } from '../runtime/interface.js';
import { progress } from './progress.js';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { KubeletServingTls } from '../kubelet/server/auth.js';
import { defaultNodeIP } from '../kubelet/node/machine.js';
import { logger } from '../util/log.js';
import { addPodNetworkFlags, backendChoice, startNodePodNetwork } from './podnet.js';
import { podMtu } from '../podnet/agent.js';

const log = logger('kubelet');

// `k8ts kubelet`: upstream's flag names for what k8ts's kubelet honours,
// and the choice of container runtime. The docker and exec runtimes are
// imported only when chosen, so a fake-runtime kubelet loads neither.

export interface KubeletFlags {
  kubeconfig?: string;
  nodeName?: string;
  hostnameOverride?: string;
  runtime: string;
  containerRuntimeEndpoint?: string;
  podManifestPath?: string;
  rootDir: string;
  nodeIp?: string;
  port: string;
  podCidr?: string;
  flannelBackend?: string;
  flannelKubeconfig?: string;
  maxPods: string;
  nodeLabels?: string;
  nodeStatusUpdateFrequency: string;
  nodeStatusReportFrequency: string;
  nodeLeaseDurationSeconds: string;
  syncFrequency: string;
  fileCheckFrequency: string;
  kubeApiQps?: string;
  kubeApiBurst?: string;
  clusterDns?: string;
  clusterDomain?: string;
  resolvConf: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
}

export interface StartKubeletOptions extends Omit<KubeletOptions, 'client' | 'runtime'> {
  /** Kubeconfig path or a resolved client config; default: $KUBECONFIG, ~/.kube/config, in-cluster. */
  kubeconfig?: string;
  clientConfig?: ClientConfig;
  /** docker | exec | fake (default docker), or a runtime built by the caller. */
  runtime?: 'docker' | 'exec' | 'fake' | ContainerRuntime;
  /** Docker socket path (with runtime docker). */
  containerRuntimeEndpoint?: string;
  qps?: number;
  burst?: number;
  /** Upstream --tls-cert-file/--tls-private-key-file (default: a self-signed pair in ROOT/pki, as upstream's --cert-dir). */
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  /** Upstream --client-ca-file (default: the CA of the kubeconfig's cluster, which signs the API server's client certificate). */
  clientCaFile?: string;
  /** Exec runtime without podCIDR: no pod network until the Node's spec.podCIDR is known (node IPAM). */
  awaitPodCIDR?: boolean;
  /** Exec runtime: MTU of the pods' veths (lowered under the pod network's VXLAN tunnel). */
  podMTU?: number;
}

export interface RuntimeChoice {
  nodeName: string;
  rootDir: string;
  endpoint?: string;
  podCIDR?: string;
  awaitPodCIDR?: boolean;
  podMTU?: number;
}

export async function createRuntime(kind: string, o: RuntimeChoice): Promise<ContainerRuntime> {
  const { nodeName, endpoint } = o;
  switch (kind) {
    case 'fake': {
      const { FakeRuntime } = await import('../runtime/fake/index.js');
      return new FakeRuntime({ podCIDR: o.podCIDR });
    }
    case 'docker': {
      const mod = (await import('../runtime/docker/index.js')) as Record<string, unknown>;
      const socketPath = endpoint?.replace(/^unix:\/\//, '');
      if (typeof mod.createDockerRuntime === 'function') {
        return (mod.createDockerRuntime as (o: { socketPath?: string; nodeName: string }) => ContainerRuntime)({ socketPath, nodeName });
      }
      if (typeof mod.DockerRuntime === 'function') {
        const Ctor = mod.DockerRuntime as new (o: { nodeName: string; endpoint?: unknown }) => ContainerRuntime;
        return new Ctor({ nodeName, ...(socketPath ? { endpoint: { socketPath } } : {}) });
      }
      throw new Error('the docker runtime (src/runtime/docker) exports neither createDockerRuntime nor DockerRuntime');
    }
    case 'exec': {
      const { createExecRuntime } = await import('../runtime/exec/index.js');
      return createExecRuntime({ nodeName, rootDir: join(o.rootDir, 'exec-runtime'), podCIDR: o.podCIDR, awaitPodCIDR: o.awaitPodCIDR, podMTU: o.podMTU });
    }
    default:
      throw new Error(`unknown container runtime "${kind}" (docker, exec or fake)`);
  }
}

/** A kubelet with its own client and runtime; stop() closes both. */
export async function startKubelet(o: StartKubeletOptions): Promise<RunningKubelet & { runtime: ContainerRuntime; client: RestClient }> {
  const cfg = o.clientConfig ?? (o.kubeconfig ? loadKubeconfig(o.kubeconfig) : loadDefaultConfig());
  const client = new RestClient(cfg, { component: 'kubelet', qps: o.qps, burst: o.burst });
  const ownRuntime = typeof o.runtime !== 'object';
  const runtime = typeof o.runtime === 'object' ? o.runtime : await createRuntime(o.runtime ?? 'docker', { nodeName: o.nodeName, rootDir: o.rootDir, endpoint: o.containerRuntimeEndpoint, podCIDR: o.podCIDR, awaitPodCIDR: o.awaitPodCIDR, podMTU: o.podMTU });
  let k: RunningKubelet;
  try {
    const tls = o.tls ?? (o.kubeletPort === null ? undefined : await servingTls(o, cfg));
    k = await runKubelet({ ...o, client, runtime, tls });
  } catch (err) {
    if (ownRuntime) await runtime.close();
    client.close();
    throw err;
  }
  return {
    ...k,
    runtime,
    client,
    async stop() {
      await k.stop();
      if (ownRuntime) await runtime.close();
      client.close();
    },
  };
}

/** The serving certificate and client CA of a kubelet started on its own; undefined (plain HTTP) without any CA to trust. */
async function servingTls(o: StartKubeletOptions, cfg: ClientConfig): Promise<KubeletServingTls | undefined> {
  const clientCaPem = o.clientCaFile ? await readFile(resolve(o.clientCaFile), 'utf8') : cfg.caData?.toString('utf8');
  if (!clientCaPem) {
    log.warn('no --client-ca-file and no cluster CA in the kubeconfig: the kubelet server speaks plain HTTP and checks no client');
    return undefined;
  }
  if (o.tlsCertFile || o.tlsPrivateKeyFile) {
    if (!o.tlsCertFile || !o.tlsPrivateKeyFile) throw new Error('--tls-cert-file and --tls-private-key-file go together');
    return { certPem: await readFile(resolve(o.tlsCertFile), 'utf8'), keyPem: await readFile(resolve(o.tlsPrivateKeyFile), 'utf8'), clientCaPem };
  }
  const dir = join(o.rootDir, 'pki');
  const certPath = join(dir, 'kubelet.crt');
  const keyPath = join(dir, 'kubelet.key');
  try {
    return { certPem: await readFile(certPath, 'utf8'), keyPem: await readFile(keyPath, 'utf8'), clientCaPem };
  } catch {
    // First start: a self-signed pair, as upstream's kubelet makes when given none.
    const { createCa, issueLeaf } = await import('../pki/maker.js');
    const self = await createCa(`${o.nodeName}-ca@${Math.floor(Date.now() / 1000)}`, 365);
    const ips = [o.address ?? defaultNodeIP(), '127.0.0.1'];
    const leaf = await issueLeaf(self, { subject: { commonName: o.nodeName }, days: 365, usages: ['server'], dnsNames: [o.nodeName], ips });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(keyPath, leaf.keyPem, { mode: 0o600 });
    await writeFile(certPath, leaf.certPem + self.certPem, { mode: 0o644 });
    return { certPem: leaf.certPem + self.certPem, keyPem: leaf.keyPem, clientCaPem };
  }
}

function parseLabels(s: string | undefined): Record<string, string> | undefined {
  if (!s) return undefined;
  const out: Record<string, string> = {};
  for (const kv of s.split(',').filter(Boolean)) {
    const i = kv.indexOf('=');
    out[i < 0 ? kv : kv.slice(0, i)] = i < 0 ? '' : kv.slice(i + 1);
  }
  return out;
}

export function kubeletOptionsFromFlags(f: KubeletFlags): StartKubeletOptions {
  const nodeName = (f.nodeName ?? f.hostnameOverride ?? hostname()).toLowerCase();
  return {
    kubeconfig: f.kubeconfig,
    nodeName,
    runtime: f.runtime as 'docker' | 'exec' | 'fake',
    containerRuntimeEndpoint: f.containerRuntimeEndpoint,
    rootDir: resolve(f.rootDir),
    podManifestPath: f.podManifestPath ? resolve(f.podManifestPath) : undefined,
    address: f.nodeIp,
    kubeletPort: Number(f.port),
    podCIDR: f.podCidr,
    awaitPodCIDR: !f.podCidr && backendChoice(f.flannelBackend) !== 'none',
    maxPods: Number(f.maxPods),
    nodeLabels: parseLabels(f.nodeLabels),
    nodeStatusUpdateFrequency: parseGoDuration(f.nodeStatusUpdateFrequency),
    nodeStatusReportFrequency: parseGoDuration(f.nodeStatusReportFrequency),
    nodeLeaseDurationSeconds: Number(f.nodeLeaseDurationSeconds),
    syncFrequency: parseGoDuration(f.syncFrequency),
    fileCheckFrequency: parseGoDuration(f.fileCheckFrequency),
    qps: f.kubeApiQps ? Number(f.kubeApiQps) : undefined,
    burst: f.kubeApiBurst ? Number(f.kubeApiBurst) : undefined,
    clusterDNS: (f.clusterDns ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    clusterDomain: f.clusterDomain ?? '',
    resolvConf: f.resolvConf,
    tlsCertFile: f.tlsCertFile,
    tlsPrivateKeyFile: f.tlsPrivateKeyFile,
    clientCaFile: f.clientCaFile,
  };
}

export function addKubeletCommand(program: Command): Command {
  return addPodNetworkFlags(program
    .command('kubelet'))
    .description('run the node agent (kubelet): registers a Node and runs the pods bound to it')
    .option('--kubeconfig <path>', 'kubeconfig of the API server (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--node-name <name>', 'name of the Node (default: the hostname)')
    .option('--hostname-override <name>', 'upstream spelling of --node-name')
    .option('--runtime <kind>', 'container runtime: docker, exec or fake', 'docker')
    .option('--container-runtime-endpoint <path>', 'docker socket (unix:///var/run/docker.sock)')
    .option('--pod-manifest-path <dir>', 'directory (or file) of static pod manifests')
    .option('--root-dir <dir>', 'directory for pod volumes, logs and state', process.env.K8TS_KUBELET_ROOT ?? '.k8ts/kubelet')
    .option('--node-ip <ip>', 'InternalIP of the node and address of the kubelet server (default: first non-loopback IPv4)')
    .option('--port <n>', 'port of the kubelet server (container logs, healthz)', '10250')
    .option('--flannel-kubeconfig <path>', 'kubeconfig the pod network agent reads all Nodes with (needs list/watch nodes, e.g. kube-proxy\'s; default: --kubeconfig)')
    .option('--pod-cidr <cidr>', 'spec.podCIDR of the Node (default: the one node IPAM gives the Node; with --flannel-backend none, 10.244.0.0/24 for the exec runtime)')
    .option('--max-pods <n>', 'pods capacity of the node', '110')
    .option('--node-labels <k=v,...>', 'labels to add when registering the node')
    .option('--node-status-update-frequency <d>', 'how often node status is computed', '10s')
    .option('--node-status-report-frequency <d>', 'how often an unchanged node status is still posted', '5m')
    .option('--node-lease-duration-seconds <n>', 'duration of the node Lease', '40')
    .option('--sync-frequency <d>', 'max period between syncs of each pod', '1m')
    .option('--file-check-frequency <d>', 'how often the static pod manifests are re-read', '20s')
    .option('--kube-api-qps <n>', 'client-side request rate limit to the API server (default 50)')
    .option('--kube-api-burst <n>', 'client-side burst above the rate limit (default 100)')
    .option('--cluster-dns <ips>', 'comma-separated cluster DNS addresses, the nameservers of dnsPolicy ClusterFirst pods')
    .option('--cluster-domain <domain>', 'the cluster\'s DNS domain (e.g. cluster.local): pods search NS.svc.DOMAIN svc.DOMAIN DOMAIN')
    .option('--resolv-conf <file>', 'resolver configuration pods with dnsPolicy Default copy (\'\' for none)', '/etc/resolv.conf')
    .option('--tls-cert-file <file>', 'serving certificate of the kubelet server (default: self-signed, kept in ROOT_DIR/pki)')
    .option('--tls-private-key-file <file>', 'key of --tls-cert-file')
    .option('--client-ca-file <file>', 'CA the API server\'s client certificate must chain to (default: the kubeconfig\'s cluster CA)')
    .action(async (flags: KubeletFlags) => {
      const o = kubeletOptionsFromFlags(flags);
      if (flags.runtime === 'exec') o.podMTU = await podMtu(backendChoice(flags.flannelBackend), o.address ?? defaultNodeIP());
      const k = await startKubelet(o);
      const nodesClient = flags.runtime === 'exec' ? new RestClient(flags.flannelKubeconfig ? loadKubeconfig(flags.flannelKubeconfig) : k.client.config, { component: 'podnet' }) : undefined;
      const net = nodesClient ? await startNodePodNetwork({ ...k, nodeName: o.nodeName }, nodesClient, o.address ?? defaultNodeIP(), backendChoice(flags.flannelBackend)) : undefined;
      progress(`kubelet is running as node ${k.nodeName} (server on port ${k.port})`);
      let stopping = false;
      const stop = (sig: string): void => {
        if (stopping) process.exit(1);
        stopping = true;
        progress(`${sig}: stopping kubelet (containers keep running and are adopted on restart)`);
        k.stop().then(() => net?.stop({ cleanup: true })).then(
          () => process.exit(0),
          (err: unknown) => {
            console.error(err);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}
