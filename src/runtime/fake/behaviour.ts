import type { ContainerConfig } from '../interface.js';

// What a fake container "does": nothing runs, so its fate is read from its
// command or from annotations, letting tests exercise restart logic without
// processes. Annotations are looked up on the container config first and on
// the sandbox (the pod's annotations) second, with the container's name as
// suffix, e.g. fake.k8ts.io/exit-code.app: "3".

export const ANNOTATION_EXIT_CODE = 'fake.k8ts.io/exit-code';
export const ANNOTATION_RUN_MS = 'fake.k8ts.io/run-ms';
export const ANNOTATION_OOM = 'fake.k8ts.io/oom';

export interface Fate {
  /** undefined: runs until stopped. */
  exitAfterMs?: number;
  exitCode: number;
  oom: boolean;
}

/** How long a fake container that exits on its own runs by default. */
const DEFAULT_RUN_MS = 50;

function annotation(name: string, key: string, own: Record<string, string>, pod: Record<string, string>): string | undefined {
  return own[`${key}.${name}`] ?? own[key] ?? pod[`${key}.${name}`];
}

export function fateOf(config: ContainerConfig, podAnnotations: Record<string, string>, defaultRunMs = DEFAULT_RUN_MS): Fate {
  const name = config.metadata.name;
  const code = annotation(name, ANNOTATION_EXIT_CODE, config.annotations, podAnnotations);
  const runMs = annotation(name, ANNOTATION_RUN_MS, config.annotations, podAnnotations);
  const oom = annotation(name, ANNOTATION_OOM, config.annotations, podAnnotations) === 'true';
  if (oom) return { exitAfterMs: runMs ? Number(runMs) : defaultRunMs, exitCode: 137, oom: true };
  if (code !== undefined) return { exitAfterMs: runMs ? Number(runMs) : defaultRunMs, exitCode: Number(code) || 0, oom: false };
  const argv = [...config.command, ...config.args];
  const fromCommand = commandFate(argv);
  if (fromCommand) return { ...fromCommand, exitAfterMs: runMs ? Number(runMs) : (fromCommand.exitAfterMs ?? defaultRunMs), oom: false };
  return { exitAfterMs: runMs ? Number(runMs) : undefined, exitCode: 0, oom: false };
}

/** The commands whose outcome is obvious: true, false, exit N, sleep N, echo. */
export function commandFate(argv: string[]): { exitCode: number; exitAfterMs?: number } | undefined {
  if (argv.length === 0) return undefined;
  const bin = argv[0]!.split('/').pop();
  if (bin === 'true' || bin === 'echo') return { exitCode: 0 };
  if (bin === 'false') return { exitCode: 1 };
  if (bin === 'sleep' && argv[1] !== undefined && /^\d+(\.\d+)?$/.test(argv[1])) {
    return argv[1] === 'infinity' ? undefined : { exitCode: 0, exitAfterMs: Number(argv[1]) * 1000 };
  }
  if ((bin === 'sh' || bin === 'bash') && argv[1] === '-c' && argv[2] !== undefined) {
    const script = argv[2].trim();
    const exit = /(?:^|[;&|]\s*)exit\s+(\d+)\s*$/.exec(script);
    if (exit) return { exitCode: Number(exit[1]) };
    if (/^(true|echo\b.*)$/.test(script)) return { exitCode: 0 };
    if (script === 'false') return { exitCode: 1 };
  }
  return undefined;
}

/** Exit code of a command run with exec in a fake container (probes, kubectl exec). */
export function execExitCode(argv: string[]): number {
  const f = commandFate(argv);
  return f ? f.exitCode : 0;
}
