import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RestClient } from '../../src/client/rest.js';
import { startKubelet, type RunningKubelet } from '../../src/kubelet/kubelet.js';
import { LABEL_NODE_NAME, type ContainerRuntime } from '../../src/runtime/interface.js';
import { ensureBusyboxImage, releaseBusyboxImage } from '../helpers/images.js';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { eventually, FAST, PODS } from '../kubelet/harness.js';

// A secure API server and one kubelet (HTTPS, serving certificate from the
// cluster CA) on a runtime chosen by name, so each streaming test runs on
// every runtime that implements the streaming calls.

export type RuntimeKind = 'docker';
/** The runtimes the streaming suites run on; the exec runtime joins when its streaming side lands. */
export const RUNTIMES: RuntimeKind[] = ['docker'];

export interface StreamingEnv {
  server: TestServer;
  client: RestClient;
  runtime: ContainerRuntime;
  kubelet: RunningKubelet;
  nodeName: string;
  image: string;
  /** Creates a pod on this node in `default` and waits until all its containers run. */
  runPod(name: string, containers: Record<string, unknown>[], extra?: Record<string, unknown>, labels?: Record<string, string>): Promise<any>;
  close(): Promise<void>;
}

async function makeRuntime(kind: RuntimeKind, nodeName: string): Promise<{ runtime: ContainerRuntime; cleanup(): Promise<void> }> {
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

export async function startStreamingEnv(kind: RuntimeKind): Promise<StreamingEnv> {
  const image = await ensureBusyboxImage();
  const server = await startTestServer({ secure: true });
  const client = RestClient.fromKubeconfig(server.kubeconfig, { component: 'streaming-e2e' });
  const nodeName = `k8ts-stream-${randomBytes(3).toString('hex')}`;
  const { runtime, cleanup } = await makeRuntime(kind, nodeName);
  const rootDir = await mkdtemp(join(tmpdir(), 'k8ts-streaming-'));
  // The ServiceAccount admission plugin wants the namespace's default account (no controller runs here).
  await client.create({ group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true }, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'default' } });
  const kubelet = await startKubelet({ ...FAST, client, runtime, nodeName, rootDir, tls: await server.kubeletTls(nodeName, ['127.0.0.1']) });
  return {
    server,
    client,
    runtime,
    kubelet,
    nodeName,
    image,
    async runPod(name, containers, extra = {}, labels) {
      const spec = { nodeName, terminationGracePeriodSeconds: 1, automountServiceAccountToken: false, containers: containers.map((c) => ({ image, imagePullPolicy: 'Never', ...c })), ...extra };
      await client.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels }, spec });
      return eventually(async () => {
        const p = await client.get<any>(PODS, 'default', name);
        const cs = p.status?.containerStatuses ?? [];
        return p.status?.phase === 'Running' && cs.length === containers.length && cs.every((c: any) => c.state?.running) ? p : undefined;
      }, `pod ${name} running`);
    },
    async close() {
      await kubelet.stop();
      await cleanup();
      await runtime.close();
      client.close();
      await server.close();
      await rm(rootDir, { recursive: true, force: true });
      await releaseBusyboxImage();
    },
  };
}
