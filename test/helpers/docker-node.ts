import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RestClient } from '../../src/client/rest.js';
import { startKubelet, type RunningKubelet } from '../../src/kubelet/kubelet.js';
import type { KubeletOptions } from '../../src/kubelet/options.js';
import { DockerRuntime } from '../../src/runtime/docker/runtime.js';
import { LABEL_NODE_NAME, type ContainerRuntime } from '../../src/runtime/interface.js';
import { ensureBusyboxImage, releaseBusyboxImage } from './images.js';
import { startTestServer, type TestServer } from './apiserver.js';
import { FAST } from '../kubelet/harness.js';

/**
 * What a Docker-backed test node leaves in dockerd: every container and
 * sandbox labelled with its node name, and the pause image it built. Tests
 * call this after stopping their kubelet, whatever state a failure left.
 */
export async function removeNodeFromDocker(runtime: ContainerRuntime, nodeName: string, pauseImage?: string): Promise<void> {
  const sel = { labelSelector: { [LABEL_NODE_NAME]: nodeName } };
  for (const c of await runtime.listContainers(sel)) await runtime.removeContainer(c.id).catch(() => undefined);
  for (const s of await runtime.listPodSandboxes(sel)) await runtime.removePodSandbox(s.id).catch(() => undefined);
  if (pauseImage) await runtime.removeImage(pauseImage).catch(() => undefined);
}

/** An API server and one kubelet on the real Docker runtime, with the busybox image built. */
export interface DockerNode {
  server: TestServer;
  client: RestClient;
  runtime: DockerRuntime;
  kubelet: RunningKubelet;
  /** The kubelet's root directory, removed by stop(). */
  rootDir: string;
  /** The busybox image's reference. */
  busybox: string;
  nodeName: string;
  /** Stops the kubelet (the one in `kubelet` now: a test may restart it), removes its containers, sandboxes and pause image, stops the server and removes the directory. */
  stop(): Promise<void>;
}

export interface DockerNodeOptions {
  /** Names the node (`k8ts-<name>-<random>`), the pause image and the directory. */
  name: string;
  server?: Parameters<typeof startTestServer>[0];
  /** Kubelet options on top of the test harness's fast periods, given the server and the root directory. */
  kubelet?: (n: { server: TestServer; rootDir: string; nodeName: string }) => Partial<KubeletOptions> | Promise<Partial<KubeletOptions>>;
}

/** Starts a DockerNode; when any step fails, what was started is cleaned up before the error is thrown. */
export async function startDockerNode(o: DockerNodeOptions): Promise<DockerNode> {
  const nodeName = `k8ts-${o.name}-${randomBytes(3).toString('hex')}`;
  const pauseImage = `k8ts-test/pause:${o.name}-${process.pid}`;
  const busybox = await ensureBusyboxImage();
  // Filled step by step, so stop() cleans up whatever was started, and stops the kubelet a test put in place of the first.
  const n: Partial<DockerNode> = { busybox, nodeName };
  const stop = async (): Promise<void> => {
    await n.kubelet?.stop();
    if (n.runtime) await removeNodeFromDocker(n.runtime, nodeName, pauseImage);
    await n.runtime?.close();
    n.client?.close();
    await n.server?.close();
    if (n.rootDir) await rm(n.rootDir, { recursive: true, force: true });
    await releaseBusyboxImage();
  };
  n.stop = stop;
  try {
    const server = (n.server = await startTestServer(o.server));
    const client = (n.client = RestClient.fromKubeconfig(server.kubeconfig, { component: `${o.name}-e2e` }));
    const runtime = (n.runtime = new DockerRuntime({ nodeName, pauseImage }));
    const rootDir = (n.rootDir = await mkdtemp(join(tmpdir(), `k8ts-${o.name}-`)));
    const extra = (await o.kubelet?.({ server, rootDir, nodeName })) ?? {};
    n.kubelet = await startKubelet({ ...FAST, ...extra, client, runtime, nodeName, rootDir });
    return n as DockerNode;
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
