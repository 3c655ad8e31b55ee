// The scheduling cycle alone, in process and without an API server: the
// same cache, snapshot, queue order and default plugins as the real
// scheduler, with binding replaced by "done". Shows what the scheduler
// itself can sustain when the API server is not the limit.
import { SchedulerCache } from '../../src/scheduler/cache/cache.js';
import { Snapshot } from '../../src/scheduler/cache/snapshot.js';
import { Framework } from '../../src/scheduler/framework/runtime.js';
import { inTreeRegistry } from '../../src/scheduler/framework/registry.js';
import { resolveProfile } from '../../src/scheduler/config/profile.js';
import { CycleState } from '../../src/scheduler/framework/cycle-state.js';
import { PodInfo } from '../../src/scheduler/framework/pod-info.js';
import { schedulePod, StartIndex } from '../../src/scheduler/schedule-one.js';
import type { Node, Pod } from '../../src/scheduler/framework/types.js';
import type { SchedulerApi } from '../../src/scheduler/framework/interface.js';

const nullApi: SchedulerApi = {
  bind: async () => undefined,
  deletePod: async () => undefined,
  patchPodStatus: async () => undefined,
  event: () => undefined,
};

export function benchNode(name: string): Node {
  const r = { pods: '110', cpu: '4', memory: '32Gi' };
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: {}, status: { capacity: r, allocatable: r } };
}

export function benchPod(name: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: name, creationTimestamp: new Date().toISOString() },
    spec: { containers: [{ name: 'pause', ports: [{ containerPort: 80 }], resources: { requests: { cpu: '100m', memory: '500Mi' }, limits: { cpu: '100m', memory: '500Mi' } } }] },
  };
}

/** Pods per second the scheduling cycle sustains for `pods` pods on `nodes` nodes with `initPods` already placed. */
export function algorithmThroughput(nodes: number, initPods: number, pods: number): number {
  const cache = new SchedulerCache();
  const snap = new Snapshot();
  const fwk = new Framework(resolveProfile(), inTreeRegistry(), { snapshot: () => snap, namespaceLabels: () => undefined, nominatedPodsForNode: () => [], hasNominatedPods: () => false, api: nullApi });
  for (let i = 0; i < nodes; i++) cache.addNode(benchNode(`node-${i}`));
  const start = new StartIndex();
  const run = (prefix: string, n: number): number => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const info = new PodInfo(benchPod(`${prefix}-${i}`));
      cache.updateSnapshot(snap);
      const r = schedulePod(fwk, new CycleState(), info, snap, start);
      if (r.kind !== 'ok') throw new Error(`pod ${info.key} did not fit`);
      cache.assumePod(info, r.node);
    }
    return n / ((performance.now() - t0) / 1000);
  };
  run('init', initPods);
  return run('pod', pods);
}
