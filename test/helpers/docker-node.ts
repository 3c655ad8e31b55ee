import { LABEL_NODE_NAME, type ContainerRuntime } from '../../src/runtime/interface.js';

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
