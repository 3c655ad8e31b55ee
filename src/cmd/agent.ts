import http from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { startKubelet } from './kubelet.js';
import { componentClientConfig, kubeletIdentity, kubeletServingTls } from './identities.js';
import { defaultNodeIP } from '../kubelet/node/machine.js';
import type { RunningControlPlane } from './server.js';
import { progress } from './progress.js';

// The node half of `k8ts server`: a kubelet (and, as it lands, a proxy) in the
// same process, each with its own identity, unless --disable-agent.

export interface AgentFlags {
  disableAgent?: boolean;
  runtime: string;
  nodeName?: string;
  podManifestPath?: string;
  kubeletPort: string;
  podCidr?: string;
}

export function addAgentFlags(cmd: Command): Command {
  return cmd
    .option('--disable-agent', 'do not run a kubelet and proxy in this process')
    .option('--runtime <kind>', 'container runtime of the local kubelet: auto (docker when its socket answers, else exec), docker, exec or fake', 'auto')
    .option('--node-name <name>', 'name of the local node (default: the hostname)')
    .option('--pod-manifest-path <dir>', 'directory of static pod manifests for the local kubelet')
    .option('--kubelet-port <n>', 'port of the local kubelet server', '10250')
    .option('--pod-cidr <cidr>', 'pod network of the local node (exec runtime)', '10.244.0.0/24');
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

export async function startAgent(cp: RunningControlPlane, flags: AgentFlags): Promise<{ stop(): Promise<void> }> {
  let runtime = flags.runtime;
  if (runtime === 'auto') {
    runtime = (await dockerAnswers()) ? 'docker' : 'exec';
    progress(`container runtime: ${runtime} (${runtime === 'docker' ? 'the Docker socket answers' : 'no Docker socket; pods run as host processes'}; --runtime overrides)`);
  }
  if (!['docker', 'exec', 'fake'].includes(runtime)) throw new Error(`--runtime must be auto, docker, exec or fake, not ${runtime}`);
  const nodeName = (flags.nodeName ?? hostname()).toLowerCase();
  const clientConfig = await componentClientConfig(cp.pki, cp.server, cp.dataDir, kubeletIdentity(nodeName));
  const address = defaultNodeIP();
  const kubelet = await startKubelet({
    clientConfig,
    nodeName,
    address,
    tls: await kubeletServingTls(cp.pki, nodeName, [address, '127.0.0.1']),
    runtime: runtime as 'docker' | 'exec' | 'fake',
    rootDir: join(cp.dataDir, 'kubelet'),
    podManifestPath: flags.podManifestPath,
    kubeletPort: Number(flags.kubeletPort),
    podCIDR: flags.podCidr,
  });
  progress(`kubelet registered node ${nodeName} (runtime ${runtime}, server on port ${kubelet.port})`);
  return {
    async stop() {
      await kubelet.stop();
    },
  };
}
