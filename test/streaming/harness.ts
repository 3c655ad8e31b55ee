import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RestClient } from '../../src/client/rest.js';
import { startKubelet, type KubeletOptions, type RunningKubelet } from '../../src/kubelet/kubelet.js';
import { LABEL_NODE_NAME, type ContainerRuntime } from '../../src/runtime/interface.js';
import { ensureBusyboxImage, releaseBusyboxImage } from '../helpers/images.js';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { eventually, FAST, PODS } from '../kubelet/harness.js';

const execFileP = promisify(execFile);

// A secure API server and one kubelet (HTTPS, serving certificate from the
// cluster CA) on a runtime chosen by name, so each streaming test runs on
// every runtime that implements the streaming calls.

export type RuntimeKind = 'docker' | 'exec';
/** The runtimes the streaming suites run on: the exec runtime isolates pods only as root. */
export const RUNTIMES: RuntimeKind[] = process.getuid?.() === 0 ? ['docker', 'exec'] : ['docker'];

export interface StreamingEnv {
  server: TestServer;
  client: RestClient;
  runtime: ContainerRuntime;
  kubelet: RunningKubelet;
  nodeName: string;
  image: string;
  /** The pull policy that finds `image` on this runtime without a registry. */
  pullPolicy: 'Never' | 'IfNotPresent';
  /**
   * A directory a container may write to: /tmp in a Docker container, a directory of
   * the test's own under the exec runtime (its containers share the host's filesystem).
   */
  scratch: string;
  /** Creates a pod on this node in `default` and waits until all its containers run. */
  runPod(name: string, containers: Record<string, unknown>[], extra?: Record<string, unknown>, labels?: Record<string, string>): Promise<any>;
  close(): Promise<void>;
}

async function makeRuntime(kind: RuntimeKind, nodeName: string, rootDir: string, subnet: number): Promise<{ runtime: ContainerRuntime; cleanup(): Promise<void> }> {
  if (kind === 'exec') {
    const { createExecRuntime } = await import('../../src/runtime/exec/index.js');
    const runtime = createExecRuntime({ rootDir: join(rootDir, 'exec-runtime'), nodeName, podCIDR: `10.244.${subnet}.0/24` });
    return {
      runtime,
      async cleanup() {
        for (const c of await runtime.listContainers()) await runtime.removeContainer(c.id).catch(() => undefined);
        for (const s of await runtime.listPodSandboxes()) await runtime.removePodSandbox(s.id).catch(() => undefined);
      },
    };
  }
  const { DockerRuntime } = await import('../../src/runtime/docker/runtime.js');
  const pauseImage = `k8ts-test/pause:streaming-${process.pid}`;
  const runtime = new DockerRuntime({ nodeName, pauseImage });
  return {
    runtime,
    async cleanup() {
      const sel = { labelSelector: { [LABEL_NODE_NAME]: nodeName } };
      for (const c of await runtime.listContainers(sel)) await runtime.removeContainer(c.id).catch(() => undefined);
      for (const s of await runtime.listPodSandboxes(sel)) await runtime.removePodSandbox(s.id).catch(() => undefined);
      await runtime.removeImage(pauseImage).catch(() => undefined);
    },
  };
}

/**
 * `subnet`: the exec runtime's pod CIDR is 10.244.<subnet>.0/24, one per suite (suites run in parallel).
 * `kubelet`: options over the test-speed ones (FAST), e.g. upstream's periods for a benchmark.
 */
export async function startStreamingEnv(kind: RuntimeKind, subnet = 214, kubelet: Partial<KubeletOptions> = {}): Promise<StreamingEnv> {
  const image = kind === 'docker' ? await ensureBusyboxImage() : 'busybox';
  const pullPolicy = kind === 'docker' ? 'Never' : 'IfNotPresent';
  const server = await startTestServer({ secure: true });
  const client = RestClient.fromKubeconfig(server.kubeconfig, { component: 'streaming-e2e' });
  const nodeName = `k8ts-stream-${randomBytes(3).toString('hex')}`;
  const rootDir = await mkdtemp(join(tmpdir(), 'k8ts-streaming-'));
  const { runtime, cleanup } = await makeRuntime(kind, nodeName, rootDir, subnet);
  const scratch = kind === 'docker' ? '/tmp' : join(rootDir, 'scratch');
  if (kind === 'exec') await mkdir(scratch);
  // The ServiceAccount admission plugin wants the namespace's default account (no controller runs here).
  await client.create({ group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true }, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'default' } });
  const running = await startKubelet({ ...FAST, ...kubelet, client, runtime, nodeName, rootDir, tls: await server.kubeletTls(nodeName, ['127.0.0.1']) });
  return {
    server,
    client,
    runtime,
    kubelet: running,
    nodeName,
    image,
    pullPolicy,
    scratch,
    async runPod(name, containers, extra = {}, labels) {
      const spec = { nodeName, terminationGracePeriodSeconds: 1, automountServiceAccountToken: false, containers: containers.map((c) => ({ image, imagePullPolicy: pullPolicy, ...c })), ...extra };
      await client.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels }, spec });
      return eventually(async () => {
        const p = await client.get<any>(PODS, 'default', name);
        const cs = p.status?.containerStatuses ?? [];
        return p.status?.phase === 'Running' && cs.length === containers.length && cs.every((c: any) => c.state?.running) ? p : undefined;
      }, `pod ${name} running`);
    },
    async close() {
      await running.stop();
      await cleanup();
      await runtime.close();
      if (kind === 'exec') {
        // Nothing of the runtime's outlives the suite: no process of its root dir, no podCIDR route, no rule.
        const { processesMentioning, podNetworkRouted } = await import('../runtime/exec/fixture.js');
        const { defaultNetworkName } = await import('../../src/runtime/exec/network.js');
        const left = processesMentioning(rootDir).map((p) => `process ${p}`);
        const network = defaultNetworkName(nodeName);
        if (podNetworkRouted(network)) left.push(`podCIDR route of ${network}`);
        const forward = await execFileP('iptables', ['-w', '5', '-S', 'FORWARD']).then((r) => r.stdout, () => '');
        if (forward.includes(network)) left.push(`iptables FORWARD rule for ${network}`);
        if (left.length) throw new Error(`the exec runtime left behind: ${left.join(', ')}`);
      }
      client.close();
      await server.close();
      await rm(rootDir, { recursive: true, force: true });
      if (kind === 'docker') await releaseBusyboxImage();
    },
  };
}
