import type { ContainerRuntime } from './interface.js';

// Takes every pod of a node off its runtime, as `k3s-killall.sh` does for a
// host being wiped: each container stopped (SIGTERM, then SIGKILL after the
// grace period) and removed, then its sandbox. Through the runtime seam, so
// Docker's containers and the exec runtime's processes go the same way.

export interface PodsRemoval {
  sandboxes: number;
  containers: number;
  /** What could not be removed, one line each; the rest is removed regardless. */
  failures: string[];
}

export async function removeAllPods(runtime: ContainerRuntime, graceSeconds: number, onPod?: (name: string) => void): Promise<PodsRemoval> {
  const out: PodsRemoval = { sandboxes: 0, containers: 0, failures: [] };
  const attempt = async (what: string, fn: () => Promise<void>): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (err) {
      out.failures.push(`${what}: ${(err as Error).message}`);
      return false;
    }
  };
  const removeContainers = async (podSandboxId?: string): Promise<void> => {
    const containers = (await runtime.listContainers(podSandboxId ? { podSandboxId } : {})).filter((c) => !podSandboxId || c.podSandboxId === podSandboxId);
    await Promise.all(
      containers.map(async (c) => {
        const name = `container ${c.metadata.name} (${c.id.slice(0, 12)})`;
        if (c.state === 'CONTAINER_RUNNING' && !(await attempt(`stopping ${name}`, () => runtime.stopContainer(c.id, graceSeconds)))) return;
        if (await attempt(`removing ${name}`, () => runtime.removeContainer(c.id))) out.containers++;
      }),
    );
  };
  // Pods one after another keeps the order of the messages; their containers stop together.
  for (const s of await runtime.listPodSandboxes()) {
    const name = `${s.metadata.namespace}/${s.metadata.name}`;
    onPod?.(name);
    await removeContainers(s.id);
    if (!(await attempt(`stopping pod ${name}`, () => runtime.stopPodSandbox(s.id)))) continue;
    if (await attempt(`removing pod ${name}`, () => runtime.removePodSandbox(s.id))) out.sandboxes++;
  }
  // Containers whose sandbox was already gone.
  await removeContainers();
  return out;
}
