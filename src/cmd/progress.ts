// Human progress lines on stdout (structured logs go to stderr), so a person
// starting a cluster sees each step and the moment it is ready.
const t0 = performance.now();
// A closed stdout (the reader went away) must not crash a running cluster.
process.stdout.on('error', () => {});

export function progress(msg: string): void {
  const ms = Math.round(performance.now() - t0);
  process.stdout.write(`[k8ts ${String(ms).padStart(5)} ms] ${msg}\n`);
}
