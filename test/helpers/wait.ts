// Waiting for a condition in end-to-end tests that drive separate processes:
// a probe polled until it returns a value, with a deadline that names what
// was awaited (these suites wait on whole clusters, so a bare "timed out"
// would not say which step hung). Probe errors count as "not yet".

export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
