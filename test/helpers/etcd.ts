// Runs a real, throw-away etcd for tests and benchmarks: free 127.0.0.1
// ports, a temporary data directory (on tmpfs when there is one, since etcd
// fsyncs every write), removed again on stop().
//
// Skip rule for suites: without an etcd binary they are skipped locally, but
// when CI is set a missing binary is a failure (CI installs etcd-server).
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePorts } from './ports.js';

export interface EtcdProcess {
  endpoints: string[];
  /** Process id of the running etcd (null while stopped), e.g. to read its CPU time. */
  readonly pid: number | null;
  /** Stop etcd and delete its data. */
  stop(): Promise<void>;
  /** Stop and start again on the same ports and data (a server restart). */
  restart(): Promise<void>;
}

/** The etcd binary: $ETCD_BIN, else the first `etcd` on PATH. */
export function etcdBinary(): string | null {
  const fromEnv = process.env.ETCD_BIN;
  if (fromEnv) return isExecutable(fromEnv) ? fromEnv : null;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'etcd');
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

export function etcdAvailable(): boolean {
  return etcdBinary() !== null;
}

/**
 * For describe()/test() options: a skip reason when etcd is absent and CI is
 * unset; false otherwise (with CI set the suite runs and startEtcd fails).
 */
export function etcdSkip(): string | false {
  if (etcdAvailable() || process.env.CI) return false;
  return 'etcd binary not found (install etcd-server; with CI set this is a failure)';
}

export async function startEtcd(): Promise<EtcdProcess> {
  const bin = etcdBinary();
  if (!bin) throw new Error('etcd binary not found: install etcd-server or set ETCD_BIN');
  const dataRoot = tmpfsRoot() ?? tmpdir();
  const dir = mkdtempSync(join(dataRoot, 'k8ts-etcd-'));
  let child: ChildProcess | null = null;
  let clientPort = 0;
  let peerPort = 0;
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const launch = async (): Promise<void> => {
    let lastErr: unknown;
    // A port found free can be taken by someone else before etcd binds it.
    for (let attempt = 0; attempt < 5; attempt++) {
      if (!clientPort || attempt > 0) [clientPort, peerPort] = await freePorts(2);
      try {
        child = await spawnEtcd(bin, dir, clientPort, peerPort);
        return;
      } catch (err) {
        lastErr = err;
      }
    }
    throw lastErr;
  };

  const halt = async (): Promise<void> => {
    const c = child;
    child = null;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGTERM');
      const force = setTimeout(() => c.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(force);
    }
  };

  try {
    await launch();
  } catch (err) {
    process.removeListener('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const endpoints = (): string[] => [`http://127.0.0.1:${clientPort}`];
  const handle: EtcdProcess = {
    endpoints: endpoints(),
    get pid() {
      return (child as ChildProcess | null)?.pid ?? null;
    },
    async stop() {
      await halt();
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await halt();
      child = await spawnEtcd(bin, dir, clientPort, peerPort);
    },
  };
  return handle;
}

async function spawnEtcd(bin: string, dir: string, clientPort: number, peerPort: number): Promise<ChildProcess> {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = spawn(
    bin,
    [
      '--name', 'k8ts-test',
      '--data-dir', join(dir, 'data'),
      '--listen-client-urls', client,
      '--advertise-client-urls', client,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `k8ts-test=${peer}`,
      '--initial-cluster-state', 'new',
      '--log-level', 'error',
      '--logger', 'zap',
      // Short so tests see progress notifications (bookmarks) promptly.
      '--experimental-watch-progress-notify-interval', '2s',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`etcd exited (${code ?? signal}) before it was ready: ${stderr}`)));
    child.once('error', reject);
  });
  const deadline = Date.now() + 60_000;
  const ready = (async () => {
    while (Date.now() < deadline) {
      if (await healthy(client)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`etcd on ${client} not healthy within 60 s: ${stderr}`);
  })();
  try {
    await Promise.race([ready, exited]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  exited.catch(() => undefined);
  return child;
}

export async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { health?: string };
    return res.ok && body.health === 'true';
  } catch {
    return false;
  }
}


export function tmpfsRoot(): string | null {
  try {
    if (!statSync('/dev/shm').isDirectory()) return null;
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return null;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export { freePorts };
