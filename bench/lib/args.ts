/** The value following `name` on the bench's command line (`--pods 100`), or `def` when the flag is absent. */
export function option(name: string, def: string): string {
  const args = process.argv.slice(2);
  return args.includes(name) ? args[args.indexOf(name) + 1]! : def;
}
