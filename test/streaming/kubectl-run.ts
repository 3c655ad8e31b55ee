import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import http from 'node:http';
import { KUBECTL } from '../helpers/kubectl.js';
import { eventually } from '../kubelet/harness.js';

// Long-running kubectl commands (port-forward, logs -f, attach) as child
// processes the test reads while they run, and always kills.

export interface Running {
  child: ChildProcessWithoutNullStreams;
  out(): string;
  err(): string;
  /** Resolves with the exit code. */
  exited: Promise<number>;
  stop(): Promise<number>;
}

export function startKubectl(kubeconfig: string, args: string[], bin = KUBECTL): Running {
  const child = spawn(bin, ['--kubeconfig', kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number>((resolve) => child.once('close', (code, sig) => resolve(code ?? (sig ? 128 : -1))));
  return {
    child,
    out: () => out,
    err: () => err,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Starts `kubectl port-forward TARGET :PORT` and waits for its "Forwarding from 127.0.0.1:N" line. */
export async function portForward(kubeconfig: string, target: string, remotePort: number, bin?: string): Promise<Running & { port: number }> {
  const r = startKubectl(kubeconfig, ['port-forward', target, `:${remotePort}`], bin);
  const port = await eventually(() => {
    if (r.child.exitCode !== null) throw new Error(`port-forward exited: ${r.err()}`);
    const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(r.out());
    return m ? Number(m[1]) : undefined;
  }, 'port-forward listening');
  return { ...r, port };
}

export function httpGet(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
