import { LABEL_POD_UID, type ContainerRuntime, type ContainerStatus, type PodSandboxStatus } from '../../runtime/interface.js';

// What the runtime has for one pod, read fresh on every sync (the kubelet
// keeps no shadow copy to drift): its sandboxes and containers, newest first.

export interface PodRuntimeState {
  sandboxes: PodSandboxStatus[];
  containers: ContainerStatus[];
}

export async function readPodState(runtime: ContainerRuntime, uid: string): Promise<PodRuntimeState> {
  const [sbs, cs] = await Promise.all([runtime.listPodSandboxes({ labelSelector: { [LABEL_POD_UID]: uid } }), runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: uid } })]);
  const sandboxes = (await Promise.all(sbs.map((s) => runtime.podSandboxStatus(s.id).catch(() => undefined)))).filter((s): s is PodSandboxStatus => !!s);
  const containers = (await Promise.all(cs.map((c) => runtime.containerStatus(c.id).catch(() => undefined)))).filter((c): c is ContainerStatus => !!c);
  sandboxes.sort((a, b) => b.metadata.attempt - a.metadata.attempt || b.createdAt - a.createdAt);
  containers.sort((a, b) => b.metadata.attempt - a.metadata.attempt || b.createdAt - a.createdAt);
  return { sandboxes, containers };
}

/** Newest and previous instance of a container by name. */
export function instancesOf(state: PodRuntimeState, name: string): { latest?: ContainerStatus; previous?: ContainerStatus } {
  let latest: ContainerStatus | undefined;
  let previous: ContainerStatus | undefined;
  for (const c of state.containers) {
    if (c.metadata.name !== name) continue;
    if (!latest) latest = c;
    else if (!previous) {
      previous = c;
      break;
    }
  }
  return { latest, previous };
}

export function sandboxIPs(state: PodRuntimeState): string[] {
  const s = state.sandboxes[0];
  return s && s.state === 'SANDBOX_READY' ? s.ips : [];
}
