// Field selectors read only the fields they name (src/apiserver/registry/fieldsets.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resourceFor } from '../../src/api/scheme/resources.js';
import { parseFieldSelector } from '../../src/api/selectors/fields.js';
import { matchesFieldSelector, selectableFields } from '../../src/apiserver/registry/fieldsets.js';
import type { KubeObject } from '../../src/api/types.js';

const getters = selectableFields(resourceFor('', 'v1', 'pods')!);
const pod = (nodeName?: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd' }, spec: { nodeName }, status: { phase: 'Running' } });

test('a field selector matches on the fields it names, as upstream (absent reads as "")', () => {
  const sel = (s: string) => parseFieldSelector(s);
  assert.equal(matchesFieldSelector(getters, sel('spec.nodeName=n1'), pod('n1')), true);
  assert.equal(matchesFieldSelector(getters, sel('spec.nodeName=n1'), pod('n2')), false);
  assert.equal(matchesFieldSelector(getters, sel('spec.nodeName='), pod()), true);
  assert.equal(matchesFieldSelector(getters, sel('spec.nodeName!='), pod()), false);
  assert.equal(matchesFieldSelector(getters, sel('spec.nodeName=n1,status.phase!=Succeeded,metadata.namespace=d'), pod('n1')), true);
  assert.equal(matchesFieldSelector(getters, sel('spec.nodeName=n1,metadata.name=q'), pod('n1')), false);
  // A name that is no selectable field (refused with 400 before a store sees it) never reads an inherited property.
  assert.equal(matchesFieldSelector(getters, [{ field: 'constructor', op: '=', value: '' }], pod()), true);
});
