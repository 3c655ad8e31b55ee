import { Writable } from 'node:stream';
import { formatPod, type Container, type LifecycleHandler, type Pod } from '../api-types.js';
import type { KubeletContext } from '../context.js';
import { runProbe } from '../prober/probe.js';

// Container lifecycle hooks as upstream's handlerRunner: postStart runs
// right after the container starts (a failure kills it, and it restarts per
// the pod's policy); preStop runs before the stop signal, inside the grace
// period. The messages are upstream's, since users read them in events.

/** Go's %v of a []string: [a b c]. */
const goList = (xs: readonly string[]): string => `[${xs.join(' ')}]`;

/** Runs a hook; resolves undefined on success, else upstream's failure message. */
export async function runHook(ctx: KubeletContext, pod: Pod, container: Container, containerId: string, h: LifecycleHandler, podIP: string | undefined, timeoutMs: number): Promise<string | undefined> {
  if (h.exec) {
    const cmd = h.exec.command ?? [];
    const chunks: Buffer[] = [];
    const out = new Writable({
      write(c: Buffer, _e, cb) {
        if (chunks.reduce((n, b) => n + b.length, 0) < 10240) chunks.push(c);
        cb();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
      const code = await Promise.race([ctx.runtime.exec(containerId, { cmd, stdout: out, stderr: out }), timeout]);
      const output = Buffer.concat(chunks).toString('utf8');
      if (code === 0) return undefined;
      const err = code === 'timeout' ? `command '${cmd.join(' ')}' timed out` : `command '${cmd.join(' ')}' exited with ${code}: ${output}`;
      return `Exec lifecycle hook (${goList(cmd)}) for Container ${JSON.stringify(container.name)} in Pod ${JSON.stringify(formatPod(pod))} failed - error: ${err}, message: ${JSON.stringify(output)}`;
    } catch (err) {
      return `Exec lifecycle hook (${goList(cmd)}) for Container ${JSON.stringify(container.name)} in Pod ${JSON.stringify(formatPod(pod))} failed - error: ${(err as Error).message}, message: ""`;
    } finally {
      clearTimeout(timer);
    }
  }
  if (h.httpGet) {
    if (ctx.lightweight) return undefined;
    const r = await runProbe({ httpGet: h.httpGet, timeoutSeconds: Math.max(1, Math.ceil(timeoutMs / 1000)) }, { runtime: ctx.runtime, containerId, container, podIP, assumeNetworkSuccess: false });
    return r.ok ? undefined : `HTTP lifecycle hook (${h.httpGet.path ?? ''}) for Container ${JSON.stringify(container.name)} in Pod ${JSON.stringify(formatPod(pod))} failed - error: ${r.output}`;
  }
  if (h.tcpSocket) {
    // Deprecated upstream and never run: kept for compatibility, as a no-op there too.
    return undefined;
  }
  if (h.sleep) {
    await new Promise((r) => setTimeout(r, Math.min(h.sleep!.seconds * 1000, timeoutMs)));
    return undefined;
  }
  return 'Cannot run handler: invalid handler';
}
