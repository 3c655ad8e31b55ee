import v8 from 'node:v8';

// Start-up (module compilation, bootstrap RBAC and system objects, the cluster
// CA) allocates in bursts whose survivors make V8 double the young generation
// to its maximum (2 × 16 MiB), and it never shrinks again: a third of an idle
// server's memory was an empty nursery. The nursery is held at its initial
// size for the process's life. It was first let grow again once the server was
// ready, but the components' own start-up after "ready" (informer lists, node
// registration, the first syncs) then grew it to 2 × 8–16 MiB as often as not,
// up to 15 MB of an idle `k8ts server`; and a held nursery cost no measurable
// CPU per create (docs/benchmarks.md, idle RSS). --semi-space-growth-factor is
// read each time the nursery would grow (V8's default is 2), so setting it at
// run time takes effect.

/** V8 flags this process set at run time, in order. */
const applied: string[] = [];

function setFlag(flag: string): void {
  v8.setFlagsFromString(flag);
  applied.push(flag);
}

export function holdYoungGeneration(): void {
  setFlag('--semi-space-growth-factor=1');
}

/**
 * Starting a worker thread puts V8's flags back to those of the command line (Node 20: the worker's
 * set-up re-parses them, and the flags are process-wide), which silently let the nursery grow again
 * after the first worker (up to 2 × 16 MiB of an idle server). Call once a worker is online.
 */
export function reapplyRuntimeFlags(): void {
  for (const flag of applied) v8.setFlagsFromString(flag);
}
