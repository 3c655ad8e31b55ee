import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { podPrinter, printPod } from '../../src/apiserver/tables/printers/pods.js';
import { D, H, M, NOW, ago, obj } from './fixtures.js';

function pod(spec: Record<string, unknown>, status: Record<string, unknown>, meta: Partial<KubeObject['metadata']> = {}): KubeObject {
  return obj('web-0', { metadata: meta, spec, status }, 2 * H);
}

const oneContainer = { containers: [{ name: 'app', image: 'nginx' }] };
const running = { running: { startedAt: ago(H) } };

/** READY, STATUS, RESTARTS of a pod. */
function summary(p: KubeObject): [unknown, unknown, unknown] {
  const cells = printPod(p, NOW).cells;
  return [cells[1], cells[2], cells[3]];
}

test('pod columns and a plain running pod, wide cells included', () => {
  assert.deepEqual(
    podPrinter.columns.map((c) => [c.name, c.type, c.priority]),
    [
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ],
  );
  assert.equal(podPrinter.columns[0]!.format, 'name');
  const p = pod(
    { containers: [{ name: 'a' }, { name: 'b' }], nodeName: 'node-1' },
    {
      phase: 'Running',
      podIP: '10.0.0.5',
      podIPs: [{ ip: '10.0.0.5' }, { ip: 'fd00::5' }],
      containerStatuses: [
        { name: 'a', ready: true, restartCount: 0, state: running },
        { name: 'b', ready: true, restartCount: 0, state: running },
      ],
    },
  );
  assert.deepEqual(printPod(p, NOW), { cells: ['web-0', '2/2', 'Running', '0', '120m', '10.0.0.5', 'node-1', '<none>', '<none>'] });
});

test('pending and waiting pods show the phase or the waiting reason', () => {
  assert.deepEqual(summary(pod(oneContainer, { phase: 'Pending' })), ['0/1', 'Pending', '0']);
  assert.deepEqual(
    summary(pod(oneContainer, { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] })),
    ['0/1', 'ContainerCreating', '0'],
  );
  assert.deepEqual(
    summary(pod(oneContainer, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] })),
    ['0/1', 'SchedulingGated', '0'],
  );
});

test('CrashLoopBackOff with restarts shows when the last one was', () => {
  const p = pod(oneContainer, {
    phase: 'Running',
    containerStatuses: [
      {
        name: 'app',
        ready: false,
        restartCount: 5,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: ago(6 * M), finishedAt: ago(5 * M) } },
      },
    ],
  });
  assert.deepEqual(summary(p), ['0/1', 'CrashLoopBackOff', '5 (5m ago)']);
});

test('restarts without a recorded termination time show the bare count', () => {
  const p = pod(oneContainer, { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 2, state: running }] });
  assert.deepEqual(summary(p), ['1/1', 'Running', '2']);
});

test('terminated containers: reason, exit code or signal', () => {
  const done = (terminated: Record<string, unknown>, phase = 'Failed') =>
    summary(pod(oneContainer, { phase, containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated } }] }));
  assert.deepEqual(done({ exitCode: 0, reason: 'Completed' }, 'Succeeded'), ['0/1', 'Completed', '0']);
  assert.deepEqual(done({ exitCode: 137, reason: 'OOMKilled' }), ['0/1', 'OOMKilled', '0']);
  assert.deepEqual(done({ exitCode: 1 }), ['0/1', 'ExitCode:1', '0']);
  assert.deepEqual(done({ exitCode: 0, signal: 9 }), ['0/1', 'Signal:9', '0']);
});

test('succeeded and failed pods carry the Completed row condition', () => {
  const ok = printPod(pod(oneContainer, { phase: 'Succeeded' }), NOW);
  assert.deepEqual(ok.conditions, [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
  const failed = printPod(pod(oneContainer, { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' }), NOW);
  assert.equal(failed.cells[2], 'Evicted');
  assert.deepEqual(failed.conditions, [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }]);
  assert.equal(printPod(pod(oneContainer, { phase: 'Running' }), NOW).conditions, undefined);
});

test('init containers: progress, waiting reasons and failures', () => {
  const spec = { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'app' }] };
  const init = (second: Record<string, unknown>) =>
    summary(
      pod(spec, {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'i1', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'i2', ready: false, restartCount: 0, ...second },
        ],
        containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
      }),
    );
  assert.deepEqual(init({ state: running }), ['0/1', 'Init:1/2', '0']);
  assert.deepEqual(init({ state: { waiting: { reason: 'PodInitializing' } } }), ['0/1', 'Init:1/2', '0']);
  assert.deepEqual(init({ state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 3, lastState: { terminated: { exitCode: 1, finishedAt: ago(2 * M) } } }), [
    '0/1',
    'Init:CrashLoopBackOff',
    '3 (2m ago)',
  ]);
  assert.deepEqual(init({ state: { terminated: { exitCode: 1, reason: 'Error' } } }), ['0/1', 'Init:Error', '0']);
  assert.deepEqual(init({ state: { terminated: { exitCode: 2 } } }), ['0/1', 'Init:ExitCode:2', '0']);
  assert.deepEqual(init({ state: { terminated: { exitCode: 2, signal: 15 } } }), ['0/1', 'Init:Signal:15', '0']);
  // No statuses yet at all: the first init container has not started.
  assert.deepEqual(summary(pod(spec, { phase: 'Pending', initContainerStatuses: [{ name: 'i1', restartCount: 0, state: { waiting: {} } }] })), [
    '0/1',
    'Init:0/2',
    '0',
  ]);
});

test('sidecars (restartable init containers) count towards READY and RESTARTS', () => {
  const spec = { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }], containers: [{ name: 'app' }] };
  const p = pod(spec, {
    phase: 'Running',
    conditions: [
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: 'True' },
    ],
    initContainerStatuses: [
      { name: 'proxy', ready: true, started: true, restartCount: 1, state: running, lastState: { terminated: { exitCode: 1, finishedAt: ago(30 * M) } } },
    ],
    containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }],
  });
  assert.deepEqual(summary(p), ['2/2', 'Running', '1 (30m ago)']);
});

test('a completed container beside a running one reads Running or NotReady', () => {
  const spec = { containers: [{ name: 'a' }, { name: 'b' }] };
  const statuses = [
    { name: 'a', ready: true, restartCount: 0, state: running },
    { name: 'b', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
  ];
  assert.deepEqual(summary(pod(spec, { phase: 'Running', containerStatuses: statuses, conditions: [{ type: 'Ready', status: 'True' }] })), [
    '1/2',
    'Running',
    '0',
  ]);
  assert.deepEqual(summary(pod(spec, { phase: 'Running', containerStatuses: statuses })), ['1/2', 'NotReady', '0']);
});

test('deletion: Terminating, Unknown for NodeLost, terminal pods keep their status', () => {
  const deleting = { deletionTimestamp: ago(10 * 1000) };
  const runningPod = { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }] };
  assert.deepEqual(summary(pod(oneContainer, runningPod, deleting)), ['1/1', 'Terminating', '0']);
  assert.deepEqual(summary(pod(oneContainer, { ...runningPod, reason: 'NodeLost' }, deleting)), ['1/1', 'Unknown', '0']);
  const completed = { phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] };
  assert.deepEqual(summary(pod(oneContainer, completed, deleting)), ['0/1', 'Completed', '0']);
});

test('wide cells: IP, node, nominated node and readiness gates', () => {
  const p = pod(
    { ...oneContainer, readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] },
    {
      phase: 'Pending',
      nominatedNodeName: 'node-2',
      conditions: [
        { type: 'example.com/lb', status: 'True' },
        { type: 'example.com/dns', status: 'False' },
      ],
    },
  );
  assert.deepEqual(printPod(p, NOW).cells.slice(5), ['<none>', '<none>', 'node-2', '1/2']);
});

test('a pod without a creation time has an <unknown> age', () => {
  const p: KubeObject = { metadata: { name: 'x' }, spec: oneContainer, status: { phase: 'Pending' } };
  assert.equal(printPod(p, NOW).cells[4], '<unknown>');
  assert.equal(printPod(obj('old', { spec: oneContainer, status: {} }, 400 * D), NOW).cells[4], '400d');
});
