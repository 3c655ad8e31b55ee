import v8 from 'node:v8';
import { everyGcSecond } from './gc-seconds.js';

// Start-up (module compilation, bootstrap RBAC and system objects, the cluster
// CA) allocates in bursts whose survivors make V8 double the young generation
// to its maximum (2 × 16 MiB), and it never shrinks again: a third of an idle
// server's memory was an empty nursery. The nursery is held at its initial
// size until the process is busy (holdYoungGenerationUntilBusy). It was first
// let grow again once the server was ready, but the components' own start-up
// after "ready" (informer lists, node registration, the first syncs) then grew
// it to 2 × 8–16 MiB as often as not, up to 15 MB of an idle `k8ts server`.
// --semi-space-growth-factor is read each time the nursery would grow (V8's
// default is 2), so setting it at run time takes effect.

/** V8 flags this process set at run time: the last setting of each flag, by the flag's name. */
const applied = new Map<string, string>();

/** `--no-foo` and `--foo=1` set the same flag as `--foo`. */
function flagName(flag: string): string {
  return flag.replace(/^--(no-)?/, '').replace(/=.*$/, '').replaceAll('_', '-');
}

/** Sets a V8 flag now and remembers it for reapplyRuntimeFlags. */
export function setRuntimeFlag(flag: string): void {
  v8.setFlagsFromString(flag);
  const name = flagName(flag);
  // Deleted first so the map keeps the order of the latest settings.
  applied.delete(name);
  applied.set(name, flag);
}

export function holdYoungGeneration(): void {
  setRuntimeFlag('--semi-space-growth-factor=1');
}

/** Scavenges per second, sustained over BUSY_SECONDS, above which the process counts as busy. */
export const BUSY_SCAVENGES_PER_SECOND = 20;
const BUSY_SECONDS = 2;

/**
 * Holds the nursery while the process is idle and lets it grow once it is busy: a 1 MiB nursery
 * under a stream of writes means a scavenge every few requests, and requests still in flight get
 * promoted to the old generation (0.55–0.60 against 0.53 ms of API server CPU per create in two
 * alternating pairs: small, but nothing is saved by holding it then). Busy means many scavenges a
 * second for a few seconds in a row; an idle server has well under one. V8 does not shrink the
 * nursery again, so the release is for the rest of the process's life.
 */
export function holdYoungGenerationUntilBusy(onRelease?: () => void): () => void {
  holdYoungGeneration();
  let busySeconds = 0;
  const stop = everyGcSecond((second) => {
    busySeconds = busyAfter(busySeconds, second.scavenges);
    if (busySeconds < BUSY_SECONDS) return;
    stop();
    releaseYoungGeneration();
    onRelease?.();
  });
  return stop;
}

/** Consecutive busy seconds after one more second with this many scavenges. */
export function busyAfter(busySeconds: number, scavengesThisSecond: number): number {
  return scavengesThisSecond >= BUSY_SCAVENGES_PER_SECOND ? busySeconds + 1 : 0;
}

/** Lets the nursery grow again as V8's default does (growth factor 2). */
export function releaseYoungGeneration(): void {
  setRuntimeFlag('--semi-space-growth-factor=2');
}

/**
 * Starting a worker thread puts V8's flags back to those of the command line (Node 20: the worker's
 * set-up re-parses them, and the flags are process-wide), which silently let the nursery grow again
 * after the first worker (up to 2 × 16 MiB of an idle server). Call once a worker is online.
 */
export function reapplyRuntimeFlags(): void {
  for (const flag of applied.values()) v8.setFlagsFromString(flag);
}
