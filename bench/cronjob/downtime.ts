// CronJob missed schedules after real downtime (issue #15): a `k8ts server`
// with five CronJobs on `*/1 * * * *` is stopped (SIGTERM) for 3 minutes and
// started again on the same data directory; what the controller does with the
// times it missed is checked against upstream (one catch-up Job for the most
// recent time, none past startingDeadlineSeconds, Forbid and Replace as usual).
// Too long for the test suite (about 6 minutes), so it runs on demand; the
// e2e test does the same with a 70 s stop.
// Run: npm run build && node dist/bench/cronjob/downtime.js [--down 180] [--no-write]
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCronJobDowntime } from '../../test/helpers/cronjob-downtime.js';
import { fmt, table, writeSection } from '../lib/stats.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const args = process.argv.slice(2);
const DOWN_S = args.includes('--down') ? Number(args[args.indexOf('--down') + 1]) : 180;

const loadBefore = loadavg()[0]!;
const startedAt = new Date();
const r = await runCronJobDowntime({ downSeconds: DOWN_S, followUp: true, log: (l) => console.log(`  ${l}`) });
const loadAfter = loadavg()[0]!;
const rows = [['check', 'result', 'detail'], ...r.checks.map((c) => [c.name, c.ok ? 'ok' : 'FAILED', c.detail])];
const out = table(rows);
console.log(`\n${out}`);
const delays = Object.entries(r.catchUpDelayS).map(([n, s]) => `${n} ${s === undefined ? '-' : `${fmt(s, 0)} s`}`).join(', ');
const failed = r.checks.filter((c) => !c.ok).length;
const body = [
  `\`npm run bench:cronjob-downtime\` = \`node dist/bench/cronjob/downtime.js --down ${DOWN_S}\` (on demand, about ${Math.round(DOWN_S / 60) + 3} minutes; the e2e test`,
  '`test/cmd/cronjob-downtime.e2e.test.ts` does the same with a 70 s stop). A real `k8ts server` (SQLite, `--disable-agent`, so Jobs stay',
  'active) with five CronJobs on `*/1 * * * *`, stopped with SIGTERM 25 s after their first run and started again on the same',
  `data directory. Run ${startedAt.toISOString().slice(0, 16)} UTC: down ${fmt(r.downMs / 1000, 1)} s (SIGTERM to ready again), ${r.missedMinutes.length} scheduled times missed;`,
  `catch-up Job created after the restart was ready (1 s resolution): ${delays}. ${failed === 0 ? 'All checks passed' : `${failed} check(s) FAILED`}.`,
  `Load average (1 min) at the start and end: ${fmt(loadBefore, 1)}-${fmt(loadAfter, 1)} on 2 shared cores.`,
  '',
  '```',
  out,
  '```',
].join('\n');
if (!args.includes('--no-write')) await writeSection(join(repo, 'docs', 'benchmarks.md'), 'CronJob missed schedules after a real 3-minute stop', body);
process.exitCode = failed === 0 ? 0 : 1;
