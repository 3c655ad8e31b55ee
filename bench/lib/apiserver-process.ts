import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Starts `k8ts apiserver` from a checkout (its bin/k8ts.js) as a child process
 * and resolves with its URL once it says it is ready; the benches measure a
 * server in its own process, as users run it.
 */
export async function spawnApiServer(repo: string, args: string[], nodeArgs: string[] = []): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [...nodeArgs, 'bin/k8ts.js', 'apiserver', ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, K8TS_LOG_LEVEL: 'warn' } });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (https:\/\/\S+)/.exec(out);
      if (m && /is ready/.test(out)) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  return { url, child };
}
