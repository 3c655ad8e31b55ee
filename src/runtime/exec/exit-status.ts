import { readFileSync, statSync } from 'node:fs';

export interface ExitStatus {
  code: number;
  /** When the supervisor wrote it (ms since the epoch). */
  at: number;
}

/** The exit status the supervisor wrote, and when; undefined while there is none. */
export function readExitStatus(file: string): ExitStatus | undefined {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return /^\d+$/.test(text) ? { code: Number(text), at: statSync(file).mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a container has finished, from its supervisor's status file and liveness: its status;
 * 'running' while the supervisor lives without one; undefined when the supervisor died without
 * writing one (killed). The file is read again after the supervisor is found dead: it writes its
 * status just before it exits, so a first read can miss a status that is there by the liveness check.
 */
export function settledExit(read: () => ExitStatus | undefined, supervisorAlive: () => boolean): ExitStatus | 'running' | undefined {
  const first = read();
  if (first) return first;
  if (supervisorAlive()) return 'running';
  return read();
}
