import v8 from 'node:v8';

// Start-up (module compilation, bootstrap RBAC and system objects, the cluster
// CA) allocates in bursts whose survivors make V8 double the young generation
// to its maximum (2 × 16 MiB), and it never shrinks again: a third of an idle
// server's memory was an empty nursery. Holding the nursery at its initial
// size until the process is ready, then letting it grow as usual, keeps an
// idle server small and leaves a loaded one exactly as before.
// --semi-space-growth-factor is read each time the nursery grows (V8's
// default is 2), so changing it at run time takes effect.

const DEFAULT_GROWTH = 2;

export function holdYoungGeneration(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

export function releaseYoungGeneration(): void {
  v8.setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH}`);
}
