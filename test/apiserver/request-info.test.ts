import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResourcePath } from '../../src/apiserver/http/request-info.js';
import { StatusError } from '../../src/api/errors.js';

const none = new URLSearchParams();

test('a resource path is split into its parts, escapes decoded segment by segment', () => {
  assert.deepEqual(parseResourcePath('POST', '/api/v1/namespaces/b/events', none), { group: '', version: 'v1', namespace: 'b', resource: 'events', name: undefined, subresource: undefined, rest: [], verb: 'create' });
  assert.deepEqual(parseResourcePath('GET', '/apis/apps/v1/namespaces/n%2Dx/deployments/a%3Ab/scale', none), {
    group: 'apps', version: 'v1', namespace: 'n-x', resource: 'deployments', name: 'a:b', subresource: 'scale', rest: [], verb: 'get',
  });
  // An escaped slash stays inside its segment.
  assert.deepEqual(parseResourcePath('GET', '/api/v1/namespaces/d/pods/p/proxy/a%2Fb/c', none)?.rest, ['a/b', 'c']);
  assert.equal(parseResourcePath('GET', '/api/v1/watch/namespaces/d/pods', none)?.verb, 'watch');
  assert.equal(parseResourcePath('GET', '/healthz', none), undefined);
});

test('a malformed escape in a path segment is a 400', () => {
  assert.throws(() => parseResourcePath('GET', '/api/v1/namespaces/d/pods/%E0%A4%A', none), (e: unknown) => e instanceof StatusError && e.code === 400 && /malformed path segment "%E0%A4%A"/.test(e.message));
});
