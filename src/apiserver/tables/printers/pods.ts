// Pods: READY counts, the STATUS column's reasoning (init progress, waiting
// and terminated reasons, Terminating, NodeLost) and RESTARTS with the time of
// the last restart, following upstream's printPod step by step so that the
// same pod reads the same in kubectl whichever server it came from.

import type { KubeObject } from '../../../api/types.js';
import { DESC } from '../descriptions.js';
import { parseTime, since } from '../duration.js';
import { at, int, rec, recs, str, type Json } from '../fields.js';
import { ageCol, col, nameCol, type Printer, type PrintedRow, type RowCondition } from '../model.js';

const NODE_LOST = 'NodeLost';

function isRestartableInit(c: Json | undefined): boolean {
  return c !== undefined && c.restartPolicy === 'Always';
}

function conditionTrue(status: Json, type: string): boolean {
  for (const c of recs(status.conditions)) {
    if (c.type === type) return c.status === 'True';
  }
  return false;
}

function hasReadyCondition(status: Json): boolean {
  return recs(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Tracks the latest lastState.terminated.finishedAt seen, as a Go metav1.Time would compare. */
class LastRestart {
  ms: number | undefined;
  iso = '';
  offer(containerStatus: Json): void {
    const term = at(containerStatus, 'lastState', 'terminated');
    if (term === undefined || term === null) return;
    const finished = rec(term).finishedAt;
    const t = parseTime(finished);
    if (t !== undefined && (this.ms === undefined || t > this.ms)) {
      this.ms = t;
      this.iso = str(finished);
    }
  }
}

function terminatedReason(term: Json, prefix: string): string {
  const reason = str(term.reason);
  if (reason) return prefix + reason;
  const signal = int(term.signal);
  return signal !== 0 ? `${prefix}Signal:${signal}` : `${prefix}ExitCode:${int(term.exitCode)}`;
}

const SUCCEEDED: RowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
const FAILED: RowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];

export function printPod(pod: KubeObject, now: Date): PrintedRow {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  const phase = str(status.phase);
  let reason = str(status.reason) || phase;

  for (const c of recs(status.conditions)) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initSpecs = recs(spec.initContainers);
  const initByName = new Map(initSpecs.map((c) => [str(c.name), c]));
  const totalContainers = recs(spec.containers).length + initSpecs.filter(isRestartableInit).length;
  let readyContainers = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart = new LastRestart();
  const lastSidecarRestart = new LastRestart();

  let initializing = false;
  const initStatuses = recs(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    restarts += int(cs.restartCount);
    lastRestart.offer(cs);
    const sidecar = isRestartableInit(initByName.get(str(cs.name)));
    if (sidecar) {
      sidecarRestarts += int(cs.restartCount);
      lastSidecarRestart.offer(cs);
    }
    const state = rec(cs.state);
    const term = state.terminated === undefined || state.terminated === null ? undefined : rec(state.terminated);
    const waiting = state.waiting === undefined || state.waiting === null ? undefined : rec(state.waiting);
    if (term && int(term.exitCode) === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready === true) readyContainers++;
      continue;
    }
    if (term) {
      reason = terminatedReason(term, 'Init:');
    } else if (waiting && str(waiting.reason) && waiting.reason !== 'PodInitializing') {
      reason = 'Init:' + str(waiting.reason);
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = recs(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += int(cs.restartCount);
      lastRestart.offer(cs);
      const state = rec(cs.state);
      const waiting = state.waiting === undefined || state.waiting === null ? undefined : rec(state.waiting);
      const term = state.terminated === undefined || state.terminated === null ? undefined : rec(state.terminated);
      if (waiting && str(waiting.reason)) {
        reason = str(waiting.reason);
      } else if (term) {
        reason = terminatedReason(term, '');
      } else if (cs.ready === true && state.running !== undefined && state.running !== null) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A pod whose last container completed while another still runs is not done.
    if (reason === 'Completed' && hasRunning) reason = hasReadyCondition(status) ? 'Running' : 'NotReady';
  }

  const deleting = typeof pod.metadata.deletionTimestamp === 'string' && pod.metadata.deletionTimestamp !== '';
  if (deleting && status.reason === NODE_LOST) {
    reason = 'Unknown';
  } else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') {
    reason = 'Terminating';
  }

  let restartsCell = String(restarts);
  if (restarts !== 0 && lastRestart.ms !== undefined) restartsCell = `${restarts} (${since(lastRestart.iso, now)} ago)`;

  const podIP = str(rec(recs(status.podIPs)[0]).ip) || str(status.podIP) || '<none>';
  const gates = recs(spec.readinessGates);
  let readinessGates = '<none>';
  if (gates.length > 0) {
    let trueCount = 0;
    for (const g of gates) {
      const c = recs(status.conditions).find((cond) => cond.type === g.conditionType);
      if (c?.status === 'True') trueCount++;
    }
    readinessGates = `${trueCount}/${gates.length}`;
  }

  const row: PrintedRow = {
    cells: [
      str(pod.metadata.name),
      `${readyContainers}/${totalContainers}`,
      reason,
      restartsCell,
      since(pod.metadata.creationTimestamp, now),
      podIP,
      str(spec.nodeName) || '<none>',
      str(status.nominatedNodeName) || '<none>',
      readinessGates,
    ],
  };
  if (phase === 'Succeeded') row.conditions = SUCCEEDED;
  else if (phase === 'Failed') row.conditions = FAILED;
  return row;
}

export const podPrinter: Printer = {
  columns: [
    nameCol(),
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageCol(),
    col('IP', 'string', DESC.podIP, 1),
    col('Node', 'string', DESC.nodeName, 1),
    col('Nominated Node', 'string', DESC.nominatedNodeName, 1),
    col('Readiness Gates', 'string', DESC.readinessGates, 1),
  ],
  print: printPod,
};
