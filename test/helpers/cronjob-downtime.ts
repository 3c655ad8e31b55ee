import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startK8ts, type K8tsProcess } from './k8ts-process.js';
import { kubectl, kubectlOk } from './kubectl.js';
import { freePort } from '../helpers/ports.js';

// A real `k8ts server` (SQLite, no kubelet, so Jobs stay active) with five
// CronJobs on `*/1 * * * *`, stopped by SIGTERM for a while after their first
// run and started again on the same data directory. Then what upstream's
// controller does with the times missed while it was down is checked:
// - Allow, no deadline: one catch-up Job, for the most recent missed time only;
// - startingDeadlineSeconds 20, restarted more than 20 s after that time: no
//   catch-up Job (upstream looks for missed times only within the deadline, so
//   it finds none and, despite the event's existence, says nothing);
// - startingDeadlineSeconds 300: one catch-up Job, the most recent time;
// - Forbid with the first Job still active: none, and JobAlreadyActive;
// - Replace: the active Job deleted and one catch-up Job.
// Shared by the e2e test (a short stop) and bench/cronjob/downtime (3 minutes).

export interface DowntimeCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DowntimeResult {
  /** Wall time the server was not running (SIGTERM sent → ready again). */
  downMs: number;
  stoppedAt: number;
  readyAt: number;
  /** Scheduled times that fell while it was down. */
  missedMinutes: number[];
  /** Per CronJob: the catch-up Job's creation second minus the restart's ready time (creationTimestamp has 1 s resolution). */
  catchUpDelayS: Record<string, number | undefined>;
  checks: DowntimeCheck[];
  /** Whether the next scheduled time after the restart was also checked (long runs only). */
  followUp: boolean;
}

export interface DowntimeOptions {
  /** Seconds between the SIGTERM and the restart. */
  downSeconds: number;
  /** Also wait for the first scheduled time after the restart and check every CronJob's next run. */
  followUp?: boolean;
  log?: (line: string) => void;
}

const SHORT_DEADLINE_S = 20;

const CRONJOBS: { name: string; spec: string }[] = [
  { name: 'allow', spec: '' },
  { name: 'deadline-short', spec: `  startingDeadlineSeconds: ${SHORT_DEADLINE_S}\n` },
  { name: 'deadline-long', spec: '  startingDeadlineSeconds: 300\n' },
  { name: 'forbid', spec: '  concurrencyPolicy: Forbid\n' },
  { name: 'replace', spec: '  concurrencyPolicy: Replace\n' },
];

const manifest = (name: string, extra: string): string => `apiVersion: batch/v1
kind: CronJob
metadata: { name: ${name}, namespace: default }
spec:
  schedule: "*/1 * * * *"
${extra}  jobTemplate:
    metadata:
      labels: { cj: ${name} }
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{ name: work, image: busybox, command: ["sleep", "3600"] }]
---
`;

interface JobView {
  name: string;
  cronJob: string;
  scheduledMs: number;
  createdMs: number;
  deleting: boolean;
}

interface EventView {
  cronJob: string;
  reason: string;
  lastMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));


/** Every Job seen by any listing so far: a Replace catch-up Job lives only until the next minute replaces it. */
const everSeen = new Map<string, JobView>();

async function jobs(kubeconfig: string): Promise<JobView[]> {
  const list = JSON.parse(await kubectlOk(kubeconfig, ['get', 'jobs', '-n', 'default', '-o', 'json'])) as {
    items: { metadata: { name: string; labels?: Record<string, string>; creationTimestamp: string; deletionTimestamp?: string } }[];
  };
  const views = list.items.map((j) => ({
    name: j.metadata.name,
    cronJob: j.metadata.labels?.cj ?? '',
    scheduledMs: Number(/-(\d+)$/.exec(j.metadata.name)?.[1]) * 60_000,
    createdMs: Date.parse(j.metadata.creationTimestamp),
    deleting: !!j.metadata.deletionTimestamp,
  }));
  for (const v of views) everSeen.set(`${kubeconfig}\u0000${v.name}`, v);
  return views;
}

async function events(kubeconfig: string): Promise<EventView[]> {
  const list = JSON.parse(await kubectlOk(kubeconfig, ['get', 'events', '-n', 'default', '--field-selector', 'involvedObject.kind=CronJob', '-o', 'json'])) as {
    items: { involvedObject: { name: string }; reason: string; lastTimestamp?: string; eventTime?: string; metadata: { creationTimestamp: string } }[];
  };
  return list.items.map((e) => ({ cronJob: e.involvedObject.name, reason: e.reason, lastMs: Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp) }));
}

/** Polls until `probe` returns a value, at most `ms`; the bound keeps a broken controller from hanging the run. */
async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(1000);
  }
}

export async function runCronJobDowntime(opts: DowntimeOptions): Promise<DowntimeResult> {
  const log = opts.log ?? (() => undefined);
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-cronjob-downtime-'));
  const port = await freePort();
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  // Only what the scenario needs: CronJobs, Jobs and the garbage collector for Replace's deletions.
  const args = ['server', '--data-dir', dir, '--port', String(port), '--disable-agent', '--disable-dns', '--controllers', 'cronjob,job,garbagecollector'];
  let server: K8tsProcess | undefined;
  try {
    server = await startK8ts(args);
    log(`server up on port ${port}`);
    await kubectlOk(kubeconfig, ['apply', '-f', '-'], { input: CRONJOBS.map((c) => manifest(c.name, c.spec)).join('') });
    const createdAt = Date.now();
    const firstRun = Math.ceil((createdAt + 1) / 60_000) * 60_000;
    log(`CronJobs created; first run due at ${new Date(firstRun).toISOString()}`);
    await until('the first run of every CronJob', 120_000 + firstRun - Date.now(), async () => {
      const js = await jobs(kubeconfig);
      return CRONJOBS.every((c) => js.some((j) => j.cronJob === c.name && j.scheduledMs === firstRun)) && js;
    });
    // Stop 25 s into the minute so the restart falls well past the short deadline of the last missed time.
    await sleep(firstRun + 25_000 - Date.now());
    const stoppedAt = Date.now();
    const code = await server.stop();
    server = undefined;
    log(`server stopped (exit ${code}) at ${new Date(stoppedAt).toISOString()}; down for ${opts.downSeconds} s`);
    await sleep(opts.downSeconds * 1000 / 2);
    const probe = await kubectl(kubeconfig, ['get', 'cronjobs', '--request-timeout', '5s']);
    const reallyDown = probe.code !== 0;
    await sleep(stoppedAt + opts.downSeconds * 1000 - Date.now());
    server = await startK8ts(args);
    const readyAt = Date.now();
    log(`server ready again at ${new Date(readyAt).toISOString()}`);
    const missedMinutes: number[] = [];
    for (let m = Math.ceil(stoppedAt / 60_000) * 60_000; m <= readyAt; m += 60_000) missedMinutes.push(m);
    const latest = missedMinutes[missedMinutes.length - 1];
    const checks: DowntimeCheck[] = [{ name: 'the API server was unreachable while stopped', ok: reallyDown, detail: reallyDown ? probe.stderr.trim().split('\n')[0]! : probe.stdout }];
    if (latest === undefined) throw new Error('no scheduled time fell while the server was down');
    // The catch-up work happens in the controller's first sync; wait for its visible results.
    // Jobs are matched against every listing so far: Replace's catch-up Job
    // lives only until the next scheduled time, which on a loaded machine can
    // come before the slowest of the other results.
    let missing: string[] = [];
    const after = await until('the catch-up runs and the Forbid and deadline events', 120_000, async () => {
      await jobs(kubeconfig);
      const evs = await events(kubeconfig);
      const seen = [...everSeen.entries()].filter(([k]) => k.startsWith(`${kubeconfig}\u0000`)).map(([, v]) => v);
      missing = ['allow', 'deadline-long', 'replace'].filter((n) => !seen.some((j) => j.cronJob === n && j.scheduledMs === latest)).map((n) => `${n}'s catch-up Job`);
      if (!evs.some((e) => e.cronJob === 'forbid' && e.reason === 'JobAlreadyActive' && e.lastMs >= readyAt - 1000)) missing.push("forbid's JobAlreadyActive event");
      return missing.length === 0;
    }).catch((err: Error) => err);
    if (!(after instanceof Error)) log(`catch-up results complete ${((Date.now() - readyAt) / 1000).toFixed(1)} s after the restart`);
    if (after instanceof Error) {
      const serverSaid = server.output().trim().split('\n').slice(-15).join('\n');
      checks.push({ name: 'the restart produced its catch-up results', ok: false, detail: `${after.message}; still missing: ${missing.join(', ') || 'nothing (the listings failed)'}; the server's last lines:\n${serverSaid}` });
    }
    // Give a wrong extra start (an older missed time, a second Job) the chance to show up.
    await sleep(5000);
    const js = await jobs(kubeconfig);
    const evs = await events(kubeconfig);
    const seen = [...everSeen.entries()].filter(([k]) => k.startsWith(`${kubeconfig}\u0000`)).map(([, v]) => v);
    const during = (n: string): JobView[] => seen.filter((j) => j.cronJob === n && missedMinutes.includes(j.scheduledMs));
    const names = (l: JobView[]): string => l.map((j) => j.name).join(', ') || 'none';
    const catchUpDelayS: Record<string, number | undefined> = {};
    for (const n of ['allow', 'deadline-long', 'replace']) {
      const l = during(n);
      const ok = l.length === 1 && l[0]!.scheduledMs === latest;
      checks.push({ name: `${n}: exactly one catch-up Job, for the most recent missed time`, ok, detail: `missed ${missedMinutes.length} times; Jobs for them: ${names(l)}` });
      if (l[0]) catchUpDelayS[n] = (l[0].createdMs - Math.floor(readyAt / 1000) * 1000) / 1000;
    }
    const shortLate = readyAt - latest > SHORT_DEADLINE_S * 1000;
    if (shortLate) {
      const l = during('deadline-short');
      checks.push({ name: `deadline-short (${SHORT_DEADLINE_S} s): no catch-up Job`, ok: l.length === 0, detail: `restart ${((readyAt - latest) / 1000).toFixed(1)} s after the last missed time; Jobs: ${names(l)}` });
    } else {
      log(`restart came ${((readyAt - latest) / 1000).toFixed(1)} s after the last missed time, within the short deadline: that check is skipped`);
    }
    const forbid = during('forbid');
    checks.push({ name: 'forbid: no new Job while the first is active', ok: forbid.length === 0, detail: `Jobs: ${names(forbid)}` });
    const already = evs.some((e) => e.cronJob === 'forbid' && e.reason === 'JobAlreadyActive' && e.lastMs >= readyAt - 1000);
    checks.push({ name: 'forbid: JobAlreadyActive after the restart', ok: already, detail: evs.filter((e) => e.cronJob === 'forbid').map((e) => e.reason).join(', ') });
    const replaced = js.find((j) => j.cronJob === 'replace' && j.scheduledMs === firstRun);
    checks.push({ name: 'replace: the Job that was active is deleted', ok: !replaced || replaced.deleting, detail: replaced ? `${replaced.name} deleting=${replaced.deleting}` : 'gone' });
    const del = evs.some((e) => e.cronJob === 'replace' && e.reason === 'SuccessfulDelete');
    checks.push({ name: 'replace: SuccessfulDelete event', ok: del, detail: evs.filter((e) => e.cronJob === 'replace').map((e) => e.reason).join(', ') });

    if (opts.followUp) {
      const next = latest + 60_000;
      log(`waiting for the next scheduled time, ${new Date(next).toISOString()}`);
      const later = await until('the runs at the next scheduled time', 120_000 + next - Date.now(), async () => {
        const l = await jobs(kubeconfig);
        return ['allow', 'deadline-short', 'deadline-long', 'replace'].every((n) => l.some((j) => j.cronJob === n && j.scheduledMs === next)) && l;
      }).catch(() => undefined);
      checks.push({ name: 'every CronJob but forbid runs again at the next scheduled time', ok: !!later, detail: later ? 'yes' : 'not within 120 s' });
      const forbidNext = [...everSeen.values()].some((j) => j.cronJob === 'forbid' && j.scheduledMs > firstRun);
      checks.push({ name: 'forbid still starts nothing while its first Job runs', ok: !forbidNext, detail: forbidNext ? 'a second forbid Job' : 'none' });
    }
    return { downMs: readyAt - stoppedAt, stoppedAt, readyAt, missedMinutes, catchUpDelayS, checks, followUp: !!opts.followUp };
  } finally {
    if (server) await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
