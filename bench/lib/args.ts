/** The value following `name` on the bench's command line (`--pods 100`), or `def` when the flag is absent. */
export function option(name: string, def: string): string {
  const args = process.argv.slice(2);
  return args.includes(name) ? args[args.indexOf(name) + 1]! : def;
}

/** K8TS_BENCH_NODE_ARGS, split on spaces: extra flags for the node of the processes a bench starts (e.g. --perf-basic-prof). */
export function benchNodeArgs(): string[] {
  return (process.env.K8TS_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
}
