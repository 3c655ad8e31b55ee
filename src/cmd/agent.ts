import http from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { embeddedClientConfig, kubeletIdentity, kubeletServingTls, LOCAL_PATH_PROVISIONER, PROXY } from './identities.js';
import { addProxyFlags, proxySettings, runProxy, type ProxyFlags } from './proxy.js';
import { RestClient } from '../client/rest.js';
import { defaultNodeIP } from '../kubelet/node/machine.js';
import type { RunningControlPlane } from './server.js';
import { progress } from './progress.js';
import { addPodNetworkFlags, backendChoice, startNodePodNetwork } from './podnet.js';
import { DEFAULT_CLUSTER_CIDR } from './serve.js';

// The node half of `k8ts server`: a kubelet and a kube-proxy in the
// same process, each with its own identity, unless --disable-agent. The
// kubelet and the pod network are imported when they start: `k8ts server
// --disable-agent` defines this module's flags but runs neither.

export interface AgentFlags extends Partial<ProxyFlags> {
  disableAgent?: boolean;
  disableKubeProxy?: boolean;
  runtime: string;
  nodeName?: string;
  podManifestPath?: string;
  kubeletPort: string;
  podCidr?: string;
  flannelBackend?: string;
  /** The controller manager's --allocate-node-cidrs: the local node then takes its podCIDR from its Node. */
  allocateNodeCidrs?: boolean;
}

export function addAgentFlags(cmd: Command): Command {
  return addPodNetworkFlags(addProxyFlags(cmd))
    .option('--disable-agent', 'do not run a kubelet and proxy in this process')
    .option('--disable-kube-proxy', 'run the kubelet without the proxy')
    .option('--runtime <kind>', 'container runtime of the local kubelet: auto (docker when its socket answers, else exec), docker, exec or fake', 'auto')
    .option('--node-name <name>', 'name of the local node (default: the hostname)')
    .option('--pod-manifest-path <dir>', 'directory of static pod manifests for the local kubelet')
    .option('--kubelet-port <n>', 'port of the local kubelet server', '10250')
    .option('--pod-cidr <cidr>', 'pod network of the local node (exec runtime; default: the podCIDR node IPAM gives its Node, or 10.244.0.0/24 with --allocate-node-cidrs=false)');
}

/** Docker is the seed's runtime; without it the embedded exec runtime runs pods as host processes. */
export function dockerAnswers(socketPath = '/var/run/docker.sock'): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

export async function startAgent(cp: RunningControlPlane, flags: AgentFlags, dns: { clusterDNS: string[]; clusterDomain: string } = { clusterDNS: [], clusterDomain: '' }): Promise<{ stop(): Promise<void> }> {
  let runtime = flags.runtime;
  if (runtime === 'auto') {
    runtime = (await dockerAnswers()) ? 'docker' : 'exec';
    progress(`container runtime: ${runtime} (${runtime === 'docker' ? 'the Docker socket answers' : 'no Docker socket; pods run as host processes'}; --runtime overrides)`);
  }
  if (!['docker', 'exec', 'fake'].includes(runtime)) throw new Error(`--runtime must be auto, docker, exec or fake, not ${runtime}`);
  const nodeName = (flags.nodeName ?? hostname()).toLowerCase();
  const [{ startKubelet }, { podMtu }] = await Promise.all([import('./kubelet.js'), import('../podnet/agent.js')]);
  const clientConfig = await embeddedClientConfig(cp, kubeletIdentity(nodeName));
  const localPathClient = new RestClient(await embeddedClientConfig(cp, LOCAL_PATH_PROVISIONER), { component: 'local-path-provisioner' });
  const address = defaultNodeIP();
  const backend = backendChoice(flags.flannelBackend);
  const kubelet = await startKubelet({
    clientConfig,
    localPathClient,
    nodeName,
    address,
    tls: await kubeletServingTls(cp.pki, nodeName, [address, '127.0.0.1']),
    runtime: runtime as 'docker' | 'exec' | 'fake',
    rootDir: join(cp.dataDir, 'kubelet'),
    podManifestPath: flags.podManifestPath,
    kubeletPort: Number(flags.kubeletPort),
    podCIDR: flags.podCidr,
    awaitPodCIDR: !flags.podCidr && flags.allocateNodeCidrs !== false,
    podMTU: runtime === 'exec' ? await podMtu(backend, address) : undefined,
    clusterDNS: dns.clusterDNS,
    clusterDomain: dns.clusterDomain,
  });
  progress(`kubelet registered node ${nodeName} (runtime ${runtime}, server on port ${kubelet.port})`);
  const nodesClient = runtime === 'exec' ? new RestClient(await embeddedClientConfig(cp, PROXY), { component: 'podnet' }) : undefined;
  const net = nodesClient ? await startNodePodNetwork({ ...kubelet, nodeName }, nodesClient, address, backend, flags.clusterCidr ?? DEFAULT_CLUSTER_CIDR) : undefined;
  const proxy = flags.disableKubeProxy ? undefined : await runProxy({ ...proxySettings(flags), nodeName }, await embeddedClientConfig(cp, PROXY));
  return {
    async stop() {
      await proxy?.stop();
      await kubelet.stop();
      await net?.stop({ cleanup: true });
      nodesClient?.close();
      localPathClient.close();
    },
  };
}
