import { spawn } from 'node:child_process';
import { existsSync, realpathSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';

// The machine's kubectl is a dispatcher; tests pin the 1.32 build where it
// exists so a test means the same thing everywhere.
function findKubectl(): string {
  if (process.env.K8TS_KUBECTL) return process.env.K8TS_KUBECTL;
  try {
    const onPath = execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim();
    if (onPath) {
      const pinned = join(dirname(realpathSync(onPath)), 'kubectl.1.32');
      if (existsSync(pinned)) return pinned;
      return onPath;
    }
  } catch {
    // fall through
  }
  return 'kubectl';
}

export const KUBECTL = findKubectl();

/** Another build beside the pinned one (kubectl.1.27 … kubectl.1.33), if present. */
export function kubectlBuild(version: string): string | undefined {
  const p = join(dirname(KUBECTL), `kubectl.${version}`);
  return existsSync(p) ? p : undefined;
}

// kubectl's discovery cache, one per test process, made on first use and removed when the process exits
// (every test file is a process of its own: left behind, they added up to thousands of directories).
let cacheDirPath: string | undefined;
function cacheDir(): string {
  if (!cacheDirPath) {
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-kubectl-cache-'));
    cacheDirPath = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return cacheDirPath;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectl(kubeconfig: string, args: string[], opts: { input?: string; bin?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(opts.bin ?? KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir(), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, KUBECONFIG: kubeconfig },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // A safety net against a hung kubectl, not a performance assertion.
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs kubectl and fails with its output unless it exits 0. */
export async function kubectlOk(kubeconfig: string, args: string[], opts: { input?: string; bin?: string } = {}): Promise<string> {
  const r = await kubectl(kubeconfig, args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}
