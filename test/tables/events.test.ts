import { test } from 'node:test';
import assert from 'node:assert/strict';
import { H, M, S, ago, obj } from './fixtures.js';
import { firstRow } from './helpers.js';

const HEADERS = ['Last Seen', 'Type', 'Reason', 'Object', '(Subobject)', '(Source)', 'Message', '(First Seen)', '(Count)', '(Name)'];

test('core events: kind/name target, source with host, counts', () => {
  const ev = obj('web-0.17c', {
    involvedObject: { kind: 'Pod', name: 'web-0', namespace: 'default', fieldPath: 'spec.containers{app}' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container\n',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: ago(H),
    lastTimestamp: ago(2 * M),
    count: 12,
    type: 'Warning',
  });
  assert.deepEqual(firstRow('', 'v1', 'events', ev), {
    headers: HEADERS,
    cells: ['2m', 'Warning', 'BackOff', 'pod/web-0', 'spec.containers{app}', 'kubelet, node-1', 'Back-off restarting failed container', '60m', 12, 'web-0.17c'],
  });
});

test('core events written by the new API: eventTime, series, reporting controller', () => {
  const single = obj('e1', {
    involvedObject: { kind: 'Node' },
    reason: 'Starting',
    message: 'Starting kubelet.',
    eventTime: '2024-05-01T11:59:20.123456Z',
    reportingComponent: 'kubelet',
    reportingInstance: '',
    type: 'Normal',
  });
  assert.deepEqual(firstRow('', 'v1', 'events', single).cells, ['39s', 'Normal', 'Starting', 'node', '', 'kubelet', 'Starting kubelet.', '39s', 1, 'e1']);
  const series = obj('e2', {
    involvedObject: { kind: 'Pod', name: 'p' },
    reason: 'Unhealthy',
    eventTime: ago(10 * M),
    series: { count: 4, lastObservedTime: ago(30 * S) },
    reportingComponent: 'kubelet',
    reportingInstance: 'node-2',
    type: 'Warning',
  });
  assert.deepEqual(firstRow('', 'v1', 'events', series).cells, ['30s', 'Warning', 'Unhealthy', 'pod/p', '', 'kubelet, node-2', '', '10m', 4, 'e2']);
});

test('events.k8s.io events print the same columns from their own field names', () => {
  const ev = obj('web-0.17c', {
    regarding: { kind: 'Pod', name: 'web-0', fieldPath: 'spec.containers{app}' },
    reason: 'Pulled',
    note: 'Successfully pulled image',
    action: 'Pulling',
    eventTime: ago(3 * M),
    reportingController: 'kubelet',
    reportingInstance: 'node-1',
    deprecatedCount: 2,
    deprecatedFirstTimestamp: ago(5 * M),
    deprecatedLastTimestamp: ago(M),
    type: 'Normal',
  });
  assert.deepEqual(firstRow('events.k8s.io', 'v1', 'events', ev), {
    headers: HEADERS,
    cells: ['60s', 'Normal', 'Pulled', 'pod/web-0', 'spec.containers{app}', 'kubelet, node-1', 'Successfully pulled image', '5m', 2, 'web-0.17c'],
  });
});
