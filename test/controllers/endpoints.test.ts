import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeSubsets } from '../../src/controllers/endpoint/compute.js';
import { desiredGroups, planSlices, type EndpointSlice } from '../../src/controllers/endpointslice/compute.js';
import { findPort, shouldPodBeInEndpoints, type Pod, type Service } from '../../src/controllers/endpoint/pod-endpoints.js';

function pod(name: string, ip: string, o: { ready?: boolean; port?: number; terminating?: boolean; phase?: string; node?: string } = {}): Pod {
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'a' }, deletionTimestamp: o.terminating ? '2026-01-01T00:00:00Z' : undefined },
    spec: { nodeName: o.node ?? 'node-1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: o.port ?? 8080 }] }] },
    status: { phase: o.phase ?? 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

const svc = (spec: Service['spec'] = {}): Service => ({
  metadata: { name: 's', namespace: 'ns', uid: 'svc-uid' },
  spec: { selector: { app: 'a' }, ports: [{ name: 'web', port: 80, targetPort: 'http', protocol: 'TCP' }], ...spec },
});

test('which pods count', () => {
  assert.equal(shouldPodBeInEndpoints(pod('a', '1.1.1.1'), false), true);
  assert.equal(shouldPodBeInEndpoints(pod('a', '1.1.1.1', { phase: 'Succeeded' }), true), false);
  assert.equal(shouldPodBeInEndpoints({ ...pod('a', ''), status: { phase: 'Running' } }, true), false, 'no IP yet');
  assert.equal(shouldPodBeInEndpoints(pod('a', '1.1.1.1', { terminating: true }), false), false);
  assert.equal(shouldPodBeInEndpoints(pod('a', '1.1.1.1', { terminating: true }), true), true);
});

test('named target ports resolve per pod', () => {
  assert.equal(findPort(pod('a', '1.1.1.1', { port: 9000 }), { port: 80, targetPort: 'http' }), 9000);
  assert.equal(findPort(pod('a', '1.1.1.1'), { port: 80, targetPort: 'nope' }), undefined);
  assert.equal(findPort(pod('a', '1.1.1.1'), { port: 80, targetPort: 81 }), 81);
  assert.equal(findPort(pod('a', '1.1.1.1'), { port: 80 }), 80);
  assert.equal(findPort(pod('a', '1.1.1.1'), { port: 80, targetPort: 'http', protocol: 'UDP' }), undefined);
});

test('ready and not-ready pods, repacked by port', () => {
  const { subsets, ready, notReady } = computeSubsets(svc(), [pod('b', '10.0.0.2'), pod('a', '10.0.0.1'), pod('c', '10.0.0.3', { ready: false }), pod('d', '10.0.0.4', { port: 9090 })]);
  assert.equal(ready, 3);
  assert.equal(notReady, 1);
  assert.equal(subsets.length, 2, 'pods offering different ports land in different subsets');
  const s8080 = subsets.find((s) => s.ports?.[0]?.port === 8080)!;
  assert.deepEqual(s8080.addresses?.map((a) => a.ip), ['10.0.0.1', '10.0.0.2']);
  assert.deepEqual(s8080.notReadyAddresses?.map((a) => a.ip), ['10.0.0.3']);
  assert.deepEqual(s8080.ports, [{ name: 'web', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(s8080.addresses?.[0]?.targetRef, { kind: 'Pod', namespace: 'ns', name: 'a', uid: 'uid-a' });
});

test('publishNotReadyAddresses publishes unready and terminating pods as ready', () => {
  const { subsets } = computeSubsets(svc({ publishNotReadyAddresses: true }), [pod('a', '10.0.0.1', { ready: false }), pod('b', '10.0.0.2', { terminating: true })]);
  assert.deepEqual(subsets[0]?.addresses?.map((a) => a.ip), ['10.0.0.1', '10.0.0.2']);
  assert.equal(subsets[0]?.notReadyAddresses, undefined);
});

test('headless services without ports still list addresses; hostnames only under the matching subdomain', () => {
  const p = pod('a', '10.0.0.1');
  p.spec!.hostname = 'host-a';
  p.spec!.subdomain = 's';
  const { subsets } = computeSubsets(svc({ clusterIP: 'None', ports: [] }), [p]);
  assert.deepEqual(subsets, [{ addresses: [{ ip: '10.0.0.1', hostname: 'host-a', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'ns', name: 'a', uid: 'uid-a' } }] }]);
  p.spec!.subdomain = 'other';
  assert.equal(computeSubsets(svc({ clusterIP: 'None', ports: [] }), [p]).subsets[0]?.addresses?.[0]?.hostname, undefined);
});

test('slices: conditions, chunking, reuse and the placeholder', () => {
  const s = svc();
  const pods = [pod('a', '10.0.0.1'), pod('b', '10.0.0.2', { ready: false }), pod('c', '10.0.0.3', { terminating: true }), pod('d', '10.0.0.4')];
  const groups = desiredGroups(s, pods, () => 'zone-a');
  assert.equal(groups.length, 1);
  assert.deepEqual(
    groups[0]!.endpoints.map((e) => [e.targetRef?.name, e.conditions]),
    [
      ['a', { ready: true, serving: true, terminating: false }],
      ['b', { ready: false, serving: false, terminating: false }],
      ['c', { ready: false, serving: true, terminating: true }],
      ['d', { ready: true, serving: true, terminating: false }],
    ],
  );
  assert.equal(groups[0]!.endpoints[0]!.zone, 'zone-a');

  const fresh = planSlices(s, [], groups, 3);
  assert.equal(fresh.create.length, 2, 'at most maxEndpointsPerSlice per slice');
  assert.deepEqual(fresh.create.map((x) => x.endpoints?.length), [3, 1]);
  assert.equal(fresh.create[0]!.metadata.labels?.['kubernetes.io/service-name'], 's');
  assert.equal(fresh.create[0]!.metadata.ownerReferences?.[0]?.uid, 'svc-uid');

  // Once written, the same pods need no writes.
  const existing: EndpointSlice[] = fresh.create.map((x, i) => ({ ...x, metadata: { ...x.metadata, name: `s-${i}`, uid: `u${i}` } }));
  const steady = planSlices(s, existing, groups, 3);
  assert.deepEqual([steady.create.length, steady.update.length, steady.delete.length], [0, 0, 0]);

  // All pods gone: the slices give way to one empty placeholder (no ports), as upstream.
  const empty = planSlices(s, existing, desiredGroups(s, [], () => undefined), 3);
  assert.deepEqual([empty.create.length, empty.update.length, empty.delete.length], [1, 0, 2]);
  assert.deepEqual([empty.create[0]!.endpoints, empty.create[0]!.ports], [[], []]);
  const placeholder: EndpointSlice = { ...empty.create[0]!, metadata: { ...empty.create[0]!.metadata, name: 's-p', uid: 'up' } };
  const settled = planSlices(s, [placeholder], desiredGroups(s, [], () => undefined), 3);
  assert.deepEqual([settled.create.length, settled.update.length, settled.delete.length], [0, 0, 0], 'the placeholder is kept');
});
