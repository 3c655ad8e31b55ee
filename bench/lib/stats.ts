// Small helpers shared by the benchmarks: percentiles and a fixed-width table.

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const i = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[i]!;
}

export function summarize(latenciesMs: number[]): { p50: number; p99: number; max: number } {
  const s = [...latenciesMs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN };
}

export function fmt(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return 'n/a';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(digits);
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

/** Runs `task(i)` for i in [0, n) with `concurrency` in flight; returns per-call latencies (ms) and wall time. */
export async function runConcurrent(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = new Array(n);
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const s = performance.now();
      await task(i);
      latencies[i] = performance.now() - s;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return { latencies, seconds: (performance.now() - t0) / 1000 };
}

/** Replaces (or appends) the section headed `## title` in a Markdown file. */
export async function writeSection(file: string, title: string, body: string): Promise<void> {
  const { readFile, writeFile } = await import('node:fs/promises');
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    text = '# k8ts benchmarks\n\nFigures measured on the project\'s machines (2 cores, shared, noisy): compare ratios, not absolutes.\n';
  }
  const head = `## ${title}`;
  const start = text.indexOf(`\n${head}\n`);
  const section = `\n${head}\n\n${body.trim()}\n`;
  if (start < 0) text = text.trimEnd() + '\n' + section;
  else {
    const rest = text.indexOf('\n## ', start + head.length + 2);
    text = text.slice(0, start) + section + (rest < 0 ? '' : text.slice(rest));
  }
  await writeFile(file, text);
}
