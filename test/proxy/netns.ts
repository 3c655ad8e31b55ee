import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

// A small routed network made of namespaces, for real traffic through the
// proxy's rules without touching the host's: a "node" namespace (where the
// proxy's iptables rules go; its processes are the node's host processes),
// and "pod" namespaces, each joined to the node by a veth pair with a /30,
// the node as their default gateway (the way Calico-like CNIs route pods).
// Pods run `busybox httpd` serving a file with their own name; clients use
// curl (this busybox build crashes in `wget -T`).

export function sh(cmd: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = execFile(cmd, args, { maxBuffer: 64 << 20 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    if (input !== undefined) c.stdin?.end(input);
  });
}

export async function ok(cmd: string, args: string[]): Promise<string> {
  const r = await sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export function canRunNetns(): boolean {
  return process.getuid?.() === 0;
}

export interface Pod {
  name: string;
  ns: string;
  ip: string;
  gateway: string;
  httpd: ChildProcess[];
  /** The node's end of the pod's veth. */
  hostIf: string;
  /** Set by addIPv6. */
  ip6?: string;
  gateway6?: string;
}

export class Topology {
  readonly id = randomBytes(2).toString('hex');
  readonly node = `k8tsp-${this.id}-node`;
  /** The node's own address (a dummy interface; the default route points there). */
  readonly nodeIP = '192.168.77.1';
  readonly pods = new Map<string, Pod>();
  private dir = '';
  private n = 0;
  private v6 = false;

  async create(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'k8ts-proxy-test-'));
    await ok('ip', ['netns', 'add', this.node]);
    const x = (...a: string[]) => ok('ip', ['netns', 'exec', this.node, ...a]);
    await x('ip', 'link', 'set', 'lo', 'up');
    // The node's "uplink": a veth pair with nothing behind it (this kernel has no dummy driver).
    await x('ip', 'link', 'add', 'node0', 'type', 'veth', 'peer', 'name', 'node0p');
    await x('ip', 'addr', 'add', `${this.nodeIP}/24`, 'dev', 'node0');
    await x('ip', 'link', 'set', 'node0p', 'up');
    await x('ip', 'link', 'set', 'node0', 'up');
    await x('ip', 'route', 'add', 'default', 'via', '192.168.77.254', 'dev', 'node0');
  }

  /** A pod namespace; `subnet` picks the address block (10.250.N.0/30 are pods, 172.30.N.0/30 are off-cluster clients). */
  async addPod(name: string, subnet: 'pod' | 'external' = 'pod'): Promise<Pod> {
    const i = ++this.n;
    const ns = `k8tsp-${this.id}-${name}`;
    const prefix = subnet === 'pod' ? '10.250' : '172.30';
    const gateway = `${prefix}.${i}.1`;
    const ip = `${prefix}.${i}.2`;
    const host = `kp${this.id}${i}`;
    const peer = `kq${this.id}${i}`;
    await ok('ip', ['netns', 'add', ns]);
    await ok('ip', ['netns', 'exec', this.node, 'ip', 'link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
    await ok('ip', ['netns', 'exec', this.node, 'ip', 'link', 'set', peer, 'netns', ns]);
    await ok('ip', ['netns', 'exec', this.node, 'ip', 'addr', 'add', `${gateway}/30`, 'dev', host]);
    await ok('ip', ['netns', 'exec', this.node, 'ip', 'link', 'set', host, 'up']);
    const x = (...a: string[]) => ok('ip', ['netns', 'exec', ns, ...a]);
    await x('ip', 'link', 'set', 'lo', 'up');
    await x('ip', 'link', 'set', peer, 'name', 'eth0');
    await x('ip', 'addr', 'add', `${ip}/30`, 'dev', 'eth0');
    await x('ip', 'link', 'set', 'eth0', 'up');
    await x('ip', 'route', 'add', 'default', 'via', gateway);
    const pod: Pod = { name, ns, ip, gateway, httpd: [], hostIf: host };
    this.pods.set(name, pod);
    return pod;
  }

  /**
   * Gives a pod an IPv6 address too (fd00:250:N::2/64, the node's end ::1), and the node IPv6 forwarding.
   * nodad: a tentative address would refuse to send for a second or two.
   */
  async addIPv6(pod: Pod): Promise<void> {
    const i = pod.ip.split('.')[2];
    const net = pod.ip.startsWith('10.250.') ? 'fd00:250' : 'fd00:172';
    pod.ip6 = `${net}:${i}::2`;
    pod.gateway6 = `${net}:${i}::1`;
    if (!this.v6) {
      this.v6 = true;
      await ok('ip', ['netns', 'exec', this.node, 'sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']);
      // As for IPv4: the node's own connections to a ClusterIP need a route before the output hook DNATs them.
      await ok('ip', ['netns', 'exec', this.node, 'ip', '-6', 'addr', 'add', 'fd00:77::1/64', 'dev', 'node0', 'nodad']);
      await ok('ip', ['netns', 'exec', this.node, 'ip', '-6', 'route', 'add', 'default', 'via', 'fd00:77::fe', 'dev', 'node0']);
    }
    await ok('ip', ['netns', 'exec', this.node, 'ip', '-6', 'addr', 'add', `${pod.gateway6}/64`, 'dev', pod.hostIf, 'nodad']);
    await ok('ip', ['netns', 'exec', pod.ns, 'ip', '-6', 'addr', 'add', `${pod.ip6}/64`, 'dev', 'eth0', 'nodad']);
    await ok('ip', ['netns', 'exec', pod.ns, 'ip', '-6', 'route', 'add', 'default', 'via', pod.gateway6]);
  }

  /** busybox httpd in the pod on `port`, serving "<name>\n" at / and the client's address at /cgi-bin/ip. */
  async serve(pod: Pod, port = 80): Promise<ChildProcess> {
    const root = join(this.dir, `${pod.name}-${port}`);
    await mkdir(join(root, 'cgi-bin'), { recursive: true });
    await writeFile(join(root, 'index.html'), `${pod.name}\n`);
    await writeFile(join(root, 'cgi-bin', 'ip'), '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "$REMOTE_ADDR"\n');
    await chmod(join(root, 'cgi-bin', 'ip'), 0o755);
    const child = spawn('ip', ['netns', 'exec', pod.ns, 'busybox', 'httpd', '-f', '-p', String(port), '-h', root], { stdio: 'ignore' });
    pod.httpd.push(child);
    // Ready when it accepts a connection from inside its own namespace.
    for (let t = 0; t < 100; t++) {
      const r = await sh('ip', ['netns', 'exec', pod.ns, 'curl', '-sS', '-m', '1', `http://127.0.0.1:${port}/`]);
      if (r.code === 0) return child;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`httpd in ${pod.ns} did not start`);
  }

  async stopServing(pod: Pod): Promise<void> {
    for (const c of pod.httpd.splice(0)) {
      if (c.exitCode !== null) continue;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    }
  }

  /** One request; its body (trimmed) or an error. */
  async get(fromNs: string, url: string): Promise<{ ok: boolean; body: string; stderr: string }> {
    const r = await sh('ip', ['netns', 'exec', fromNs, 'curl', '-sS', '-m', '3', url]);
    return { ok: r.code === 0, body: r.stdout.trim(), stderr: r.stderr };
  }

  /** n requests in one shell loop inside the namespace; each line a body or FAIL. */
  async many(fromNs: string, url: string, n: number): Promise<string[]> {
    const script = `i=0; while [ $i -lt ${n} ]; do curl -s -m 3 ${url} || echo FAIL; i=$((i+1)); done`;
    const out = await ok('ip', ['netns', 'exec', fromNs, 'sh', '-c', script]);
    return out.split('\n').filter(Boolean);
  }

  /** A request loop that runs until stop(); lines arrive as they come. */
  loop(fromNs: string, url: string): { lines: string[]; stop(): Promise<void> } {
    const stopFile = join(this.dir, `stop-${randomBytes(3).toString('hex')}`);
    const script = `while [ ! -e ${stopFile} ]; do curl -s -m 3 ${url} || echo FAIL; done`;
    const child = spawn('ip', ['netns', 'exec', fromNs, 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    const lines: string[] = [];
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts.filter(Boolean));
    });
    const exited = new Promise((r) => child.once('exit', r));
    return {
      lines,
      async stop() {
        await writeFile(stopFile, '');
        await exited;
      },
    };
  }

  iptablesSave(): Promise<string> {
    return ok('ip', ['netns', 'exec', this.node, 'iptables-save']);
  }

  async destroy(): Promise<void> {
    for (const p of this.pods.values()) await this.stopServing(p);
    for (const p of this.pods.values()) await sh('ip', ['netns', 'del', p.ns]);
    await sh('ip', ['netns', 'del', this.node]);
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
