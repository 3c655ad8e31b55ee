// What the exec runtime remembers lives in JSON files under its root dir,
// one per sandbox and container, written atomically (temp file + rename).
// Processes outlive the kubelet; these files are how a new runtime instance
// finds and adopts them (pids are checked against their start times).
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerConfig, LinuxResources, Mount, PodSandboxMetadata, PortMapping } from '../interface.js';
import type { ProcRef } from './proc.js';

export type Isolation = 'namespaces' | 'host';

export interface SandboxRecord {
  id: string;
  nodeName: string;
  metadata: PodSandboxMetadata;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  createdAt: number;
  hostname: string;
  hostNetwork: boolean;
  isolation: Isolation;
  /** Namespaces the pause process holds (others are the host's). */
  namespaces: { pid: boolean; net: boolean; ipc: boolean; uts: boolean };
  /** The `unshare` process: it sits in the new namespaces and waits on the pause (PID 1 of the pod). */
  holder?: ProcRef;
  /** PID 1 of the pod (the same process as holder when the pod shares the host's PID namespace). */
  pause?: ProcRef;
  ip?: string;
  veth?: string;
  /** cgroup of the pod, relative to the cgroup root. */
  cgroup?: string;
  /** Set when stopPodSandbox ran: the sandbox stays NOTREADY even if nothing died. */
  stoppedAt?: number;
  /** The pod's resolv.conf (from dnsConfig), bind-mounted at /etc/resolv.conf in its containers. */
  resolvConf?: string;
  /** The port-forward relay inside the pod's network namespace, once a forward needed it. */
  relay?: ProcRef;
  /** hostPort mappings DNATed to the pod IP (iptables rules tagged with the sandbox id). */
  hostPorts?: PortMapping[];
}

export interface ContainerRecord {
  id: string;
  sandboxId: string;
  nodeName: string;
  metadata: { name: string; attempt: number };
  image: string;
  imageRef: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logPath: string;
  createdAt: number;
  argv: string[];
  env: { name: string; value: string }[];
  workingDir?: string;
  mounts: Mount[];
  resources?: LinuxResources;
  securityContext?: ContainerConfig['securityContext'];
  cgroup?: string;
  startedAt?: number;
  /** The supervising shell (it waits for the command and writes its exit status). */
  supervisor?: ProcRef;
  /** The command itself: leader of its own process group. */
  main?: ProcRef;
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  message?: string;
  /** A SIGKILL was sent: a supervisor that died without writing a status was killed by us. */
  killed?: boolean;
  /** Bytes of the raw stdout/stderr files already turned into CRI log lines. */
  logOffsets: { stdout: number; stderr: number };
  /** Mount points this runtime had to create on the host, removed with the container. */
  createdMountPoints: string[];
  /** The container keeps a stdin open for attach (a FIFO); stdinOnce closes it after the first client. */
  stdin?: boolean;
  stdinOnce?: boolean;
  /** The command runs on a terminal of its own. */
  tty?: boolean;
  /** The process holding the stdin FIFO open for writing while the container runs. */
  stdinHolder?: ProcRef;
  /** stdinOnce and the first client is gone: the command has had its EOF. */
  stdinClosed?: boolean;
}

export class StateDir {
  constructor(readonly root: string) {}

  sandboxDir(id: string): string {
    return join(this.root, 'sandboxes', id);
  }

  containerDir(id: string): string {
    return join(this.root, 'containers', id);
  }

  async init(): Promise<void> {
    await mkdir(join(this.root, 'sandboxes'), { recursive: true });
    await mkdir(join(this.root, 'containers'), { recursive: true });
  }

  async saveSandbox(rec: SandboxRecord): Promise<void> {
    await mkdir(this.sandboxDir(rec.id), { recursive: true });
    await atomicWrite(join(this.sandboxDir(rec.id), 'state.json'), JSON.stringify(rec));
  }

  async saveContainer(rec: ContainerRecord): Promise<void> {
    await mkdir(this.containerDir(rec.id), { recursive: true });
    await atomicWrite(join(this.containerDir(rec.id), 'state.json'), JSON.stringify(rec));
  }

  async removeSandbox(id: string): Promise<void> {
    await rm(this.sandboxDir(id), { recursive: true, force: true });
  }

  async removeContainer(id: string): Promise<void> {
    await rm(this.containerDir(id), { recursive: true, force: true });
  }

  async loadSandboxes(): Promise<SandboxRecord[]> {
    const dir = join(this.root, 'sandboxes');
    const out: SandboxRecord[] = [];
    for (const id of await readdir(dir).catch(() => [] as string[])) {
      const rec = await readJson<SandboxRecord>(join(dir, id, 'state.json'));
      if (rec) out.push(rec);
    }
    return out;
  }

  async loadContainers(): Promise<ContainerRecord[]> {
    const dir = join(this.root, 'containers');
    const out: ContainerRecord[] = [];
    for (const id of await readdir(dir).catch(() => [] as string[])) {
      const rec = await readJson<ContainerRecord>(join(dir, id, 'state.json'));
      if (rec) out.push(rec);
    }
    return out;
  }
}

let seq = 0;

async function atomicWrite(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${++seq}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    // A file cut short by a crash before rename cannot exist; anything unreadable is not ours.
    return undefined;
  }
}
