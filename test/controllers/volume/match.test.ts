import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findBestMatch, volumeSatisfiesClaim } from '../../../src/controllers/volume/match.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../../../src/controllers/volume/types.js';
import type { Node } from '../../../src/scheduler/framework/types.js';

// upstream's findBestMatchForClaim cases, without an API server.

const pv = (name: string, size: string, o: Partial<PersistentVolume['spec']> & { labels?: Record<string, string>; phase?: string } = {}): PersistentVolume => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name, labels: o.labels },
  spec: { capacity: { storage: size }, accessModes: o.accessModes ?? ['ReadWriteOnce'], storageClassName: o.storageClassName ?? '', claimRef: o.claimRef, nodeAffinity: o.nodeAffinity, volumeMode: o.volumeMode },
  status: { phase: o.phase ?? 'Available' },
});
const pvc = (size: string, o: Partial<PersistentVolumeClaim['spec']> = {}): PersistentVolumeClaim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'c', namespace: 'ns', uid: 'u1' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...o },
});
const node = (name: string): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } }) as Node;

test('smallest fitting volume; quantities compared as quantities (1Gi > 1G)', () => {
  const vols = [pv('a', '10Gi'), pv('b', '1G'), pv('c', '1Gi'), pv('d', '5Gi')];
  assert.equal(findBestMatch(pvc('1000M'), vols)?.metadata.name, 'b');
  assert.equal(findBestMatch(pvc('1.01G'), vols)?.metadata.name, 'c');
  assert.equal(findBestMatch(pvc('11Gi'), vols), undefined);
});

test('phase, claimRef, class, selector, volume mode and deletion filter volumes out', () => {
  const vols = [pv('released', '1Gi', { phase: 'Released' }), pv('taken', '1Gi', { claimRef: { namespace: 'x', name: 'y', uid: 'z' } }), pv('gold', '1Gi', { storageClassName: 'gold' }), pv('block', '1Gi', { volumeMode: 'Block' })];
  assert.equal(findBestMatch(pvc('1Gi'), vols), undefined);
  assert.equal(findBestMatch(pvc('1Gi', { storageClassName: 'gold' }), vols)?.metadata.name, 'gold');
  assert.equal(findBestMatch(pvc('1Gi', { volumeMode: 'Block' }), vols)?.metadata.name, 'block');
  const labelled = [pv('l1', '1Gi', { labels: { tier: 'a' } }), pv('l2', '2Gi', { labels: { tier: 'b' } })];
  assert.equal(findBestMatch(pvc('1Gi', { selector: { matchLabels: { tier: 'b' } } }), labelled)?.metadata.name, 'l2');
  assert.equal(findBestMatch(pvc('1Gi', { selector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['a', 'b'] }] } }), labelled), undefined);
});

test('a volume pre-bound to the claim wins even when bigger; delayed binding waits for a node', () => {
  const vols = [pv('small', '1Gi'), pv('mine', '10Gi', { claimRef: { namespace: 'ns', name: 'c' } })];
  assert.equal(findBestMatch(pvc('1Gi'), vols)?.metadata.name, 'mine');
  const local = pv('local', '1Gi', { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } } });
  assert.equal(findBestMatch(pvc('1Gi'), [local], undefined, true), undefined);
  assert.equal(findBestMatch(pvc('1Gi'), [local], node('n1'), true)?.metadata.name, 'local');
  assert.equal(findBestMatch(pvc('1Gi'), [local], node('n2'), true), undefined);
});

test('volumeName mismatches are reported in upstream words', () => {
  assert.equal(volumeSatisfiesClaim(pv('v', '1Gi'), pvc('2Gi')), 'requested PV is too small');
  assert.equal(volumeSatisfiesClaim(pv('v', '1Gi', { storageClassName: 'x' }), pvc('1Gi')), 'storageClassName does not match');
  assert.equal(volumeSatisfiesClaim(pv('v', '1Gi', { volumeMode: 'Block' }), pvc('1Gi')), 'incompatible volumeMode');
  assert.equal(volumeSatisfiesClaim(pv('v', '1Gi'), pvc('1Gi', { accessModes: ['ReadWriteMany'] })), 'incompatible accessMode');
  assert.equal(volumeSatisfiesClaim(pv('v', '1Gi'), pvc('1Gi')), undefined);
});
