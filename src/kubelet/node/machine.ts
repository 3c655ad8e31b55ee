import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';

// Facts about the machine a kubelet reports in its Node: read once per
// process and shared, since thousands of hollow nodes in one process all
// describe the same host.

export interface MachineInfo {
  cpus: number;
  memoryBytes: number;
  osImage: string;
  kernelVersion: string;
  architecture: string;
  machineID: string;
  systemUUID: string;
  bootID: string;
  hostname: string;
}

async function readTrim(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** Go's GOARCH names, which Kubernetes uses for kubernetes.io/arch. */
export function goArch(arch: string = process.arch): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return map[arch] ?? arch;
}

export function parseOsRelease(text: string): string | undefined {
  const m = /^PRETTY_NAME=(.*)$/m.exec(text);
  if (!m) return undefined;
  return m[1]!.trim().replace(/^"(.*)"$/, '$1');
}

export function parseMemTotal(meminfo: string): number | undefined {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(meminfo);
  return m ? Number(m[1]) * 1024 : undefined;
}

let cached: Promise<MachineInfo> | undefined;

export function machineInfo(): Promise<MachineInfo> {
  cached ??= (async () => {
    const meminfo = await readTrim('/proc/meminfo');
    const osRelease = (await readTrim('/etc/os-release')) ?? (await readTrim('/usr/lib/os-release'));
    const machineID = (await readTrim('/etc/machine-id')) ?? (await readTrim('/var/lib/dbus/machine-id')) ?? '';
    const productUUID = (await readTrim('/sys/class/dmi/id/product_uuid'))?.toLowerCase();
    return {
      cpus: os.cpus().length || 1,
      memoryBytes: (meminfo && parseMemTotal(meminfo)) || os.totalmem(),
      osImage: (osRelease && parseOsRelease(osRelease)) || `${os.type()} ${os.release()}`,
      kernelVersion: os.release(),
      architecture: goArch(),
      machineID,
      systemUUID: productUUID ?? machineID,
      bootID: (await readTrim('/proc/sys/kernel/random/boot_id')) ?? '',
      hostname: os.hostname(),
    };
  })();
  return cached;
}

/** Size of the filesystem holding dir, in bytes. */
export async function filesystemBytes(dir: string): Promise<number> {
  try {
    const s = await statfs(dir);
    return s.blocks * s.bsize;
  } catch {
    return 0;
  }
}

/** The first non-internal IPv4 address of the machine, else loopback. */
export function defaultNodeIP(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
