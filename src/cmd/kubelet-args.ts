import { Command, CommanderError } from 'commander';
import { addKubeletCommand, kubeletOptionsFromFlags, type KubeletFlags, type StartKubeletOptions } from './kubelet.js';

// k3s's --kubelet-arg: `k8ts agent --kubelet-arg node-lease-duration-seconds=8`
// passes one `k8ts kubelet` flag through, parsed by the kubelet command's own
// definition so names, defaults and errors are the same. Only the tuning
// flags are taken; what the agent decides itself (node name, identity,
// runtime, addresses, directories) keeps its own agent flag.

/** Kubelet flag (commander key) → the kubelet option it sets. */
const PASSED: Partial<Record<keyof KubeletFlags, keyof StartKubeletOptions>> = {
  nodeStatusUpdateFrequency: 'nodeStatusUpdateFrequency',
  nodeStatusReportFrequency: 'nodeStatusReportFrequency',
  nodeLeaseDurationSeconds: 'nodeLeaseDurationSeconds',
  syncFrequency: 'syncFrequency',
  fileCheckFrequency: 'fileCheckFrequency',
  maxPods: 'maxPods',
  nodeLabels: 'nodeLabels',
  kubeApiQps: 'qps',
  kubeApiBurst: 'burst',
  resolvConf: 'resolvConf',
};

export function collectArg(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The kubelet options that `--kubelet-arg NAME=VALUE` (each of `args`) set. */
export function kubeletArgOptions(args: string[] | undefined): Partial<StartKubeletOptions> {
  if (!args?.length) return {};
  const argv: string[] = [];
  for (const a of args) {
    const m = /^-{0,2}([a-z0-9-]+)(?:=([\s\S]*))?$/.exec(a);
    if (!m) throw new Error(`--kubelet-arg must be NAME=VALUE (a k8ts kubelet flag without its dashes), not ${a}`);
    argv.push(`--${m[1]}`, ...(m[2] !== undefined ? [m[2]] : []));
  }
  const kubelet = addKubeletCommand(new Command().exitOverride());
  kubelet.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined }).action(() => undefined);
  try {
    kubelet.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) throw new Error(`--kubelet-arg: ${err.message.replace(/^error: /, '')}`);
    throw err;
  }
  const flags = kubelet.opts<KubeletFlags>();
  const all = kubeletOptionsFromFlags(flags) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(flags) as (keyof KubeletFlags)[]) {
    if (kubelet.getOptionValueSource(key) !== 'cli') continue;
    const to = PASSED[key];
    if (!to) throw new Error(`--kubelet-arg: --${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is set by k8ts agent itself (see k8ts agent --help)`);
    out[to] = all[to];
  }
  return out as Partial<StartKubeletOptions>;
}
