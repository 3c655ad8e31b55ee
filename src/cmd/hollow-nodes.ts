import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { startControlServer } from '../hollow/control.js';
import { HollowCluster } from '../hollow/harness.js';
import type { KubeletServingTls } from '../kubelet/server/auth.js';
import { progress } from './progress.js';

// `k8ts hollow-nodes`: N kubelets with a fake runtime in one process, for
// scale tests of the control plane (kubemark's hollow-node, kwok). The
// control API (127.0.0.1) or signals stop and start nodes: SIGUSR1 stops
// every node, SIGUSR2 starts them all again.

interface HollowFlags {
  kubeconfig: string;
  count: string;
  namePrefix: string;
  startDelay: string;
  leaseDuration: string;
  controlPort: string;
  rootDir?: string;
  kubeApiQps?: string;
  kubeletServers?: boolean;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
}

async function servingTlsFromFlags(f: HollowFlags): Promise<KubeletServingTls | undefined> {
  if (!f.tlsCertFile && !f.tlsPrivateKeyFile) return undefined;
  if (!f.tlsCertFile || !f.tlsPrivateKeyFile) throw new Error('--tls-cert-file and --tls-private-key-file go together');
  const clientCaPem = loadKubeconfig(f.kubeconfig).caData?.toString('utf8');
  if (!clientCaPem) throw new Error('--tls-cert-file needs a kubeconfig with a CA (clients are checked against it)');
  return { certPem: await readFile(resolve(f.tlsCertFile), 'utf8'), keyPem: await readFile(resolve(f.tlsPrivateKeyFile), 'utf8'), clientCaPem };
}

function positiveInt(flag: string, v: string, min = 0): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer >= ${min}, not ${v}`);
  return n;
}

export function addHollowNodesCommand(program: Command): Command {
  return program
    .command('hollow-nodes')
    .description('run N hollow kubelets (fake runtime, no processes) in one process, for scale tests')
    .requiredOption('--kubeconfig <file>', 'kubeconfig of the API server')
    .requiredOption('--count <n>', 'how many hollow nodes')
    .option('--name-prefix <p>', 'node names are <prefix><index>', 'hollow-node-')
    .option('--start-delay <ms>', 'pause between starting two nodes', '0')
    .option('--lease-duration <s>', 'node Lease duration in seconds; renewals every quarter of it', '40')
    .option('--control-port <n>', 'port of the control API on 127.0.0.1 (0: any free port)', '0')
    .option('--root-dir <dir>', 'directory for the kubelets\' files (default: a temp dir, removed on exit)')
    .option('--kube-api-qps <n>', 'client-side request rate limit (default: none)')
    .option('--kubelet-servers', 'run a kubelet server per node on 127.96.x.y with synthetic /metrics/resource (for kubectl top and the HPA)', false)
    .option('--tls-cert-file <file>', 'serving certificate of the kubelet servers, e.g. issued by the cluster CA (default: self-signed); clients must chain to the kubeconfig\'s CA')
    .option('--tls-private-key-file <file>', 'key of --tls-cert-file')
    .action(async (f: HollowFlags) => {
      const count = positiveInt('--count', f.count, 1);
      const ownDir = !f.rootDir;
      const rootDir = f.rootDir ? resolve(f.rootDir) : await mkdtemp(join(tmpdir(), 'k8ts-hollow-'));
      const cluster = new HollowCluster({
        clientConfig: loadKubeconfig(f.kubeconfig),
        count,
        namePrefix: f.namePrefix,
        startDelayMs: positiveInt('--start-delay', f.startDelay),
        leaseDurationSeconds: positiveInt('--lease-duration', f.leaseDuration, 1),
        rootDir,
        qps: f.kubeApiQps ? positiveInt('--kube-api-qps', f.kubeApiQps, 1) : undefined,
        kubeletServers: f.kubeletServers === true,
        servingTls: await servingTlsFromFlags(f),
      });
      const control = await startControlServer(cluster, positiveInt('--control-port', f.controlPort));
      progress(`hollow-nodes control API on http://127.0.0.1:${control.port} (GET /nodes, POST /nodes/NAME/stop|start, GET /leases, PUT /leases {"leaseDurationSeconds": N})`);
      let stopping = false;
      const shutdown = (sig: string): void => {
        if (stopping) process.exit(1);
        stopping = true;
        progress(`${sig}: stopping ${count} hollow nodes`);
        void (async () => {
          await control.close();
          await cluster.close();
          if (ownDir) await rm(rootDir, { recursive: true, force: true });
          process.exit(0);
        })().catch((err: unknown) => {
          console.error(err);
          process.exit(1);
        });
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      const all = (what: 'stop' | 'start'): void => {
        progress(`${what === 'stop' ? 'SIGUSR1: stopping' : 'SIGUSR2: starting'} every hollow node`);
        void Promise.all([...cluster.nodes.keys()].map((n) => (what === 'stop' ? cluster.stopNode(n) : cluster.startNode(n))));
      };
      process.on('SIGUSR1', () => all('stop'));
      process.on('SIGUSR2', () => all('start'));
      const step = Math.max(1, Math.floor(count / 10));
      await cluster.start((n) => {
        if (n % step === 0 || n === count) progress(`${n}/${count} hollow nodes started`);
      });
      progress(`${count} hollow nodes running (${f.namePrefix}0..${f.namePrefix}${count - 1})`);
    });
}
