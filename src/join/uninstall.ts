import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { ContainerRuntime } from '../runtime/interface.js';
import { removeAllPods } from '../runtime/remove-all.js';
import { unmountAllUnder } from '../util/mount.js';
import { logger } from '../util/log.js';

// `k8ts agent --uninstall`: takes a node off its host, as k3s's
// k3s-killall.sh and k3s-agent-uninstall.sh do together, with or without
// the agent having stopped cleanly (a SIGKILLed agent leaves its pods, the
// pod network and the proxy's rules behind; a clean stop leaves the pods,
// which a restarted agent adopts). Everything is found again from what the
// host holds: the runtime's state and labels, the mounts under the kubelet's
// root directory, the marks the pod network and the proxy put on their
// routes, devices and chains. The Node object stays in the cluster: it is
// the cluster's to remove (`kubectl delete node`), not the host's.

const log = logger('agent');

/** Grace period of each container's stop (SIGTERM, then SIGKILL): a host being wiped does not wait for pods' own periods. */
export const UNINSTALL_GRACE_SECONDS = 5;

export interface UninstallOptions {
  nodeName: string;
  /** The kubelet's root directory (pod volumes, runtime state, local-path volumes). */
  rootDir: string;
  /** Removed at the end, once everything else is undone: the node's state (the kubelet root among them). */
  dirs: string[];
  /** Which runtimes to clear: auto = the exec runtime if its state is there, and Docker if its socket answers. */
  runtime: string;
  progress(message: string): void;
  /** Whether Docker's socket answers (injected: the agent command already has the probe). */
  dockerAnswers(): Promise<boolean>;
  /** Makes the runtime the kubelet would use, over the same state (cmd/kubelet.ts createRuntime). */
  createRuntime(kind: 'docker' | 'exec', o: { nodeName: string; rootDir: string; podCIDR?: string; awaitPodCIDR?: boolean }): Promise<ContainerRuntime>;
}

export interface UninstallReport {
  removedDirs: string[];
  /** Everything that could not be undone; the data directories stay when this is not empty. */
  failures: string[];
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

async function runtimesToClear(o: UninstallOptions): Promise<('docker' | 'exec')[]> {
  if (o.runtime === 'fake') return [];
  if (o.runtime === 'docker' || o.runtime === 'exec') return [o.runtime];
  if (o.runtime !== 'auto') throw new Error(`--runtime must be auto, docker, exec or fake, not ${o.runtime}`);
  const kinds: ('docker' | 'exec')[] = [];
  if (existsSync(join(o.rootDir, 'exec-runtime'))) kinds.push('exec');
  if (await o.dockerAnswers()) kinds.push('docker');
  return kinds;
}

export async function uninstallNode(o: UninstallOptions): Promise<UninstallReport> {
  const rootDir = resolve(o.rootDir);
  const dirs = [rootDir, ...o.dirs.map((d) => resolve(d))];
  // Everything mounted under the root directory is unmounted and these directories removed: never a system directory.
  for (const d of dirs) if (d.split('/').filter(Boolean).length < 2) throw new Error(`refusing to uninstall with ${d} as a node directory: it would unmount and remove far more than one node's state`);
  const report: UninstallReport = { removedDirs: [], failures: [] };
  const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      report.failures.push(`${what}: ${(err as Error).message}`);
    }
  };

  for (const kind of await runtimesToClear(o)) {
    await step(`${kind} runtime`, async () => {
      let podCIDR: string | undefined;
      if (kind === 'exec') {
        const { defaultNetworkName, podCIDROfNetwork } = await import('../runtime/exec/index.js');
        // Given its podCIDR, the runtime removes its pod network once its last pod is gone.
        podCIDR = await podCIDROfNetwork(defaultNetworkName(o.nodeName));
      }
      const runtime = await o.createRuntime(kind, { nodeName: o.nodeName, rootDir, podCIDR, awaitPodCIDR: !podCIDR });
      try {
        const r = await removeAllPods(runtime, UNINSTALL_GRACE_SECONDS, (pod) => o.progress(`${kind}: stopping pod ${pod}`));
        report.failures.push(...r.failures.map((f) => `${kind}: ${f}`));
        // The exec runtime takes its pod network away on close only once no pod is left.
        const network = kind === 'exec' && podCIDR && !r.failures.length ? ` and the node's pod network ${podCIDR}` : '';
        o.progress(`${kind}: removed ${plural(r.sandboxes, 'pod')} (${plural(r.containers, 'container')})${network}`);
      } finally {
        await runtime.close();
      }
    });
  }

  await step('volume mounts', async () => {
    const r = await unmountAllUnder(rootDir);
    report.failures.push(...r.failed.map((t) => `cannot unmount ${t}`));
    o.progress(`unmounted ${plural(r.unmounted.length, 'volume mount')} under ${rootDir}`);
  });

  await step('pod network', async () => {
    const { removePodNetwork } = await import('../podnet/cleanup.js');
    const r = await removePodNetwork(o.nodeName, log);
    o.progress(`pod network: removed ${plural(r.routes, 'route')} to other nodes${r.vxlanDevice ? ', the VXLAN device' : ''} and the FORWARD chain ${r.forwardChain}`);
  });

  await step('proxy rules', async () => {
    const { removeProxyRules, describeProxyRulesRemoval } = await import('../proxy/cleanup.js');
    const r = await removeProxyRules();
    for (const line of describeProxyRulesRemoval(r)) o.progress(line);
  });

  if (report.failures.length) {
    // The state under these directories is what finds the leftovers again on the next attempt.
    o.progress(`not removing ${dirs.join(', ')}: ${report.failures.length} things could not be undone`);
    return report;
  }
  // A directory inside another listed one goes with it.
  const outermost = [...new Set(dirs)].filter((d) => !dirs.some((p) => p !== d && !relative(p, d).startsWith('..')));
  for (const d of outermost) {
    if (!existsSync(d)) continue;
    await step(`removing ${d}`, () => rm(d, { recursive: true, force: true }));
    if (!existsSync(d)) report.removedDirs.push(d);
  }
  if (report.removedDirs.length) o.progress(`removed ${report.removedDirs.join(' and ')}`);
  return report;
}
