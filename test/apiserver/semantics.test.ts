import { after, before, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';

// Upstream API semantics beyond plain CRUD: resourceVersion and 410 Gone,
// paging, watch selectors, finalizers, graceful deletion, dry run,
// subresources, generation.

describe('API semantics', () => {
  let s: TestServer;
  const req = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
    const r = await fetch(s.url + path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? {} : { 'Content-Type': contentType } });
    const text = await r.text();
    return { code: r.status, body: text ? JSON.parse(text) : undefined };
  };
  const cm = (name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels, ...extra }, data: { a: '1' } });

  /** Reads watch events until `until` returns true for the collected list. */
  const watch = (path: string, until: (evs: any[]) => boolean): Promise<any[]> =>
    new Promise((resolve, reject) => {
      const evs: any[] = [];
      const r = http.get(s.url + path, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            evs.push(JSON.parse(buf.slice(0, i)));
            buf = buf.slice(i + 1);
            if (until(evs)) {
              r.destroy();
              resolve(evs);
              return;
            }
          }
        });
        res.on('end', () => resolve(evs));
      });
      r.on('error', (e) => (evs.length && until(evs) ? resolve(evs) : reject(e)));
    });

  before(async () => {
    s = await startTestServer();
    await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sem' } });
  });
  after(async () => s?.close());

  test('create sets uid, creationTimestamp, resourceVersion; generateName gets a suffix', async () => {
    const r = await req('POST', '/api/v1/namespaces/sem/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
    assert.equal(r.code, 201);
    assert.match(r.body.metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.match(r.body.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(r.body.metadata.resourceVersion, /^\d+$/);
  });

  test('a generated name that is taken is drawn again (RetryGenerateName, GA in 1.32); after 8 tries the 409 names it', async () => {
    // Math.random() = 0 draws the suffix "bbbbb" each time.
    assert.equal((await req('POST', '/api/v1/namespaces/sem/configmaps', cm('taken-bbbbb'))).code, 201);
    let calls = 0;
    const zeros = mock.method(Math, 'random', () => (calls++ < 5 ? 0 : 0.5));
    try {
      const r = await req('POST', '/api/v1/namespaces/sem/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'taken-' } });
      assert.equal(r.code, 201, JSON.stringify(r.body));
      assert.notEqual(r.body.metadata.name, 'taken-bbbbb');
      assert.match(r.body.metadata.name, /^taken-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.ok(calls >= 10, `a second name was drawn (${calls} random numbers)`);
    } finally {
      zeros.mock.restore();
    }
    calls = 0;
    const always = mock.method(Math, 'random', () => (calls++, 0));
    try {
      const r = await req('POST', '/api/v1/namespaces/sem/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'taken-' } });
      assert.equal(r.code, 409);
      assert.equal(r.body.reason, 'AlreadyExists');
      assert.equal(r.body.message, 'configmaps "taken-bbbbb" already exists');
      assert.ok(calls >= 8 * 5, `eight names were drawn (${calls} random numbers)`);
    } finally {
      always.mock.restore();
    }
    // A long base is cut so the generated name stays within 63 characters, as upstream's name generator does.
    const long = await req('POST', '/api/v1/namespaces/sem/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'x'.repeat(80) } });
    assert.equal(long.code, 201);
    assert.equal(long.body.metadata.name.length, 63);
    // kubectl create with generateName (kubectl apply refuses it, as upstream's).
    const out = await kubectlOk(s.kubeconfig, ['create', '-f', '-', '-o', 'name'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'kc-gen-', namespace: 'sem' } }) });
    assert.match(out.trim(), /^configmap\/kc-gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  test('list paging with limit and continue reads one consistent snapshot', async () => {
    for (let i = 0; i < 7; i++) assert.equal((await req('POST', '/api/v1/namespaces/sem/configmaps', cm(`page-${i}`, { paged: 'yes' }))).code, 201);
    const first = await req('GET', '/api/v1/namespaces/sem/configmaps?labelSelector=paged%3Dyes&limit=3');
    assert.equal(first.body.items.length, 3);
    assert.ok(first.body.metadata.continue);
    // A write between pages is not visible in the continued list.
    await req('POST', '/api/v1/namespaces/sem/configmaps', cm('page-late', { paged: 'yes' }));
    const names = first.body.items.map((i: any) => i.metadata.name);
    let cont = first.body.metadata.continue;
    while (cont) {
      const next = await req('GET', `/api/v1/namespaces/sem/configmaps?labelSelector=paged%3Dyes&limit=3&continue=${encodeURIComponent(cont)}`);
      assert.equal(next.code, 200);
      assert.equal(next.body.metadata.resourceVersion, first.body.metadata.resourceVersion);
      names.push(...next.body.items.map((i: any) => i.metadata.name));
      cont = next.body.metadata.continue;
    }
    assert.deepEqual(names, [0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`));
    assert.equal((await req('GET', '/api/v1/namespaces/sem/configmaps?limit=1&continue=garbage')).code, 400);
  });

  test('kubectl get --chunk-size pages through everything', async () => {
    const out = await kubectlOk(s.kubeconfig, ['get', 'configmaps', '-n', 'sem', '-l', 'paged=yes', '--chunk-size=2', '-o', 'name']);
    assert.equal(out.trim().split('\n').length, 8);
  });

  test('status is a separate subresource and generation follows the spec', async () => {
    const dep = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'gen' },
      spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
      status: { replicas: 99 },
    };
    const c = await req('POST', '/apis/apps/v1/namespaces/sem/deployments', dep);
    assert.equal(c.code, 201);
    assert.equal(c.body.metadata.generation, 1);
    assert.equal(c.body.status.replicas, undefined, 'status cannot be set on create');
    const st = await req('PUT', '/apis/apps/v1/namespaces/sem/deployments/gen/status', { ...c.body, spec: { ...c.body.spec, replicas: 5 }, status: { replicas: 1, observedGeneration: 1 } });
    assert.equal(st.code, 200);
    assert.equal(st.body.status.replicas, 1);
    assert.equal(st.body.spec.replicas, 1, 'spec cannot change through /status');
    assert.equal(st.body.metadata.generation, 1);
    const up = await req('PUT', '/apis/apps/v1/namespaces/sem/deployments/gen', { ...st.body, spec: { ...st.body.spec, replicas: 2 }, status: {} });
    assert.equal(up.body.metadata.generation, 2);
    assert.equal(up.body.status.replicas, 1, 'status cannot change through the main resource');
    const scale = await req('GET', '/apis/apps/v1/namespaces/sem/deployments/gen/scale');
    assert.equal(scale.body.kind, 'Scale');
    assert.equal(scale.body.spec.replicas, 2);
    assert.equal(scale.body.status.selector, 'a=b');
  });

  test('dry run validates and returns the object without storing it', async () => {
    const r = await req('POST', '/api/v1/namespaces/sem/configmaps?dryRun=All', cm('dry'));
    assert.equal(r.code, 201);
    assert.equal((await req('GET', '/api/v1/namespaces/sem/configmaps/dry')).code, 404);
    const k = await kubectl(s.kubeconfig, ['create', '-n', 'sem', '-f', '-', '--dry-run=server'], { input: JSON.stringify(cm('dry2')) });
    assert.equal(k.code, 0, k.stderr);
    assert.equal((await req('GET', '/api/v1/namespaces/sem/configmaps/dry2')).code, 404);
  });

  test('finalizers hold a deletion until they are removed', async () => {
    await req('POST', '/api/v1/namespaces/sem/configmaps', cm('fin', {}, { finalizers: ['example.com/hold'] }));
    const d = await req('DELETE', '/api/v1/namespaces/sem/configmaps/fin');
    assert.equal(d.code, 200);
    const held = await req('GET', '/api/v1/namespaces/sem/configmaps/fin');
    assert.ok(held.body.metadata.deletionTimestamp);
    assert.deepEqual(held.body.metadata.finalizers, ['example.com/hold']);
    const p = await req('PATCH', '/api/v1/namespaces/sem/configmaps/fin', { metadata: { finalizers: null } }, 'application/merge-patch+json');
    assert.equal(p.code, 200);
    assert.equal((await req('GET', '/api/v1/namespaces/sem/configmaps/fin')).code, 404);
  });

  test('a pod on a node is deleted gracefully; force deletion is immediate', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'g' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }] } };
    assert.equal((await req('POST', '/api/v1/namespaces/sem/pods', pod)).code, 201);
    const d = await req('DELETE', '/api/v1/namespaces/sem/pods/g');
    assert.equal(d.code, 200);
    assert.ok(d.body.metadata.deletionTimestamp);
    assert.equal(d.body.metadata.deletionGracePeriodSeconds, 30);
    const again = await req('GET', '/api/v1/namespaces/sem/pods/g');
    assert.equal(again.code, 200, 'still there until its kubelet confirms');
    const f = await kubectl(s.kubeconfig, ['delete', 'pod', 'g', '-n', 'sem', '--grace-period=0', '--force']);
    assert.equal(f.code, 0, f.stderr);
    assert.equal((await req('GET', '/api/v1/namespaces/sem/pods/g')).code, 404);
  });

  test('a PUT naming a stale resourceVersion is a 409 and writes nothing; one naming none writes over whatever is current', async () => {
    const path = '/apis/coordination.k8s.io/v1/namespaces/sem/leases';
    const lease = (rv: string | undefined, renewTime: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'renewed', ...(rv ? { resourceVersion: rv } : {}) }, spec: { holderIdentity: 'n', leaseDurationSeconds: 4, renewTime } });
    const created = await req('POST', path, lease(undefined, '2026-01-01T00:00:00.000000Z'));
    assert.equal(created.code, 201);
    // As a kubelet renews: the resourceVersion of its last write.
    const first = await req('PUT', `${path}/renewed`, lease(created.body.metadata.resourceVersion, '2026-01-01T00:00:01.000000Z'));
    assert.equal(first.code, 200);
    assert.notEqual(first.body.metadata.resourceVersion, created.body.metadata.resourceVersion);
    const stale = await req('PUT', `${path}/renewed`, lease(created.body.metadata.resourceVersion, '2026-01-01T00:00:02.000000Z'));
    assert.equal(stale.code, 409);
    assert.match(stale.body.message, /has been modified/);
    assert.equal((await req('GET', `${path}/renewed`)).body.spec.renewTime, '2026-01-01T00:00:01.000000Z');
    const blind = await req('PUT', `${path}/renewed`, lease(undefined, '2026-01-01T00:00:03.000000Z'));
    assert.equal(blind.code, 200);
    assert.equal(blind.body.spec.renewTime, '2026-01-01T00:00:03.000000Z');
  });

  test('binding sets the node once', async () => {
    await req('POST', '/api/v1/namespaces/sem/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    const bind = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'b' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' } };
    assert.equal((await req('POST', '/api/v1/namespaces/sem/pods/b/binding', bind)).code, 201);
    const p = await req('GET', '/api/v1/namespaces/sem/pods/b');
    assert.equal(p.body.spec.nodeName, 'node-a');
    assert.equal(p.body.status.conditions.find((c: any) => c.type === 'PodScheduled').status, 'True');
    const again = await req('POST', '/api/v1/namespaces/sem/pods/b/binding', { ...bind, target: { ...bind.target, name: 'node-b' } });
    assert.equal(again.code, 409);
    assert.match(again.body.message, /already assigned to node "node-a"/);
  });

  test("a node's pod watch (spec.nodeName=) sees its pods bound, whole, and no other node's", async () => {
    const within = <T>(p: Promise<T>, what: string): Promise<T> => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within 10 s`)), 10_000)));
      return Promise.race([p, late]).finally(() => clearTimeout(timer));
    };
    const list = await req('GET', '/api/v1/namespaces/sem/pods');
    const rv = list.body.metadata.resourceVersion;
    // A watch of every pod decodes each create's event, so the binding reads the pod the watch cache holds.
    const all = watch(`/api/v1/namespaces/sem/pods?watch=true&resourceVersion=${rv}`, (evs) => evs.some((e) => e.type === 'MODIFIED' && e.object.metadata.name === 'nb2'));
    const mine = watch(`/api/v1/namespaces/sem/pods?watch=true&resourceVersion=${rv}&fieldSelector=spec.nodeName%3Dnode-s`, (evs) => evs.some((e) => e.object.metadata.name === 'nb2'));
    const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { l: name } }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    const bind = (name: string, node: string) => req('POST', `/api/v1/namespaces/sem/pods/${name}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: node } });
    for (const name of ['nb1', 'nb0', 'nb2']) assert.equal((await req('POST', '/api/v1/namespaces/sem/pods', pod(name))).code, 201);
    assert.equal((await bind('nb1', 'node-s')).code, 201);
    assert.equal((await bind('nb0', 'node-t')).code, 201);
    assert.equal((await bind('nb2', 'node-s')).code, 201);
    const [evs, allEvs] = await Promise.all([within(mine, 'the node-s watch'), within(all, 'the watch of all pods')]);
    assert.deepEqual(evs.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED nb1', 'ADDED nb2']);
    const got = await req('GET', '/api/v1/namespaces/sem/pods/nb1');
    assert.deepEqual(evs[0].object, got.body, 'the event carries the pod as stored');
    assert.equal(got.body.spec.nodeName, 'node-s');
    assert.equal(got.body.spec.containers[0].image, 'i');
    assert.deepEqual(got.body.metadata.labels, { l: 'nb1' });
    assert.equal(got.body.status.conditions.find((c: any) => c.type === 'PodScheduled').status, 'True');
    const created = allEvs.find((e) => e.type === 'ADDED' && e.object.metadata.name === 'nb1').object;
    assert.equal(created.spec.nodeName, undefined, 'the created pod as the watchers had it is left as it was');
    assert.ok(Number(got.body.metadata.resourceVersion) > Number(created.metadata.resourceVersion));
  });

  test('watch from a resourceVersion sees later events in order; selectors turn exits into DELETED', async () => {
    const start = await req('POST', '/api/v1/namespaces/sem/configmaps', cm('w1', { w: 'yes' }));
    const rv = start.body.metadata.resourceVersion;
    const evsP = watch(`/api/v1/namespaces/sem/configmaps?watch=true&labelSelector=w%3Dyes&resourceVersion=${rv}`, (evs) => evs.length >= 3);
    await req('POST', '/api/v1/namespaces/sem/configmaps', cm('w2', { w: 'yes' }));
    await req('PATCH', '/api/v1/namespaces/sem/configmaps/w1', { metadata: { labels: { w: 'no' } } }, 'application/merge-patch+json');
    await req('PATCH', '/api/v1/namespaces/sem/configmaps/w1', { metadata: { labels: { w: 'yes' } } }, 'application/merge-patch+json');
    const evs = await evsP;
    assert.deepEqual(evs.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'w2'], ['DELETED', 'w1'], ['ADDED', 'w1']]);
    const rvs = evs.map((e) => Number(e.object.metadata.resourceVersion));
    assert.deepEqual([...rvs].sort((a, b) => a - b), rvs);
  });

  test('watch without a resourceVersion starts with the current state', async () => {
    const evs = await watch('/api/v1/namespaces/sem/configmaps?watch=true&labelSelector=w%3Dyes', (e) => e.length >= 2);
    assert.deepEqual(evs.map((e) => e.type), ['ADDED', 'ADDED']);
  });

  test('watch and continue from a compacted revision answer 410 Gone / Expired', async () => {
    const old = await req('GET', '/api/v1/namespaces/sem/configmaps?limit=1');
    const oldRV = Number(old.body.metadata.resourceVersion);
    for (let i = 0; i < 3; i++) await req('POST', '/api/v1/namespaces/sem/configmaps', cm(`compact-${i}`));
    const now = await s.store.currentRevision();
    await s.store.compact(now);
    const evs = await watch(`/api/v1/namespaces/sem/configmaps?watch=true&resourceVersion=${oldRV}`, (e) => e.length >= 1);
    assert.equal(evs[0].type, 'ERROR');
    assert.equal(evs[0].object.code, 410);
    assert.equal(evs[0].object.reason, 'Expired');
    const cont = await req('GET', `/api/v1/namespaces/sem/configmaps?limit=1&continue=${encodeURIComponent(old.body.metadata.continue)}`);
    assert.equal(cont.code, 410);
    assert.equal(cont.body.reason, 'Expired');
  });

  test('bookmarks carry the current resourceVersion', async () => {
    const evs = await watch('/api/v1/namespaces/sem/configmaps?watch=true&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&labelSelector=none%3Dnone', (e) => e.some((x) => x.type === 'BOOKMARK'));
    const bm = evs.find((e) => e.type === 'BOOKMARK');
    assert.match(bm.object.metadata.resourceVersion, /^\d+$/);
    assert.equal(bm.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
  });

  test('timeoutSeconds ends a watch', async () => {
    const evs = await watch('/api/v1/namespaces/sem/configmaps?watch=true&timeoutSeconds=1&resourceVersion=' + (await s.store.currentRevision()), () => false);
    assert.deepEqual(evs, []);
  });

  test('events.k8s.io/v1 and core/v1 events are the same objects', async () => {
    const ev = {
      apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e1' }, eventTime: '2026-01-01T00:00:00.000000Z',
      reportingController: 'k8ts.io/test', reportingInstance: 'test-1', action: 'Testing', reason: 'Tested', type: 'Normal', note: 'hello',
      regarding: { kind: 'Pod', namespace: 'sem', name: 'x', apiVersion: 'v1' },
    };
    const c = await req('POST', '/apis/events.k8s.io/v1/namespaces/sem/events', ev);
    assert.equal(c.code, 201, JSON.stringify(c.body));
    assert.equal(c.body.note, 'hello');
    const core = await req('GET', '/api/v1/namespaces/sem/events/e1');
    assert.equal(core.body.message, 'hello');
    assert.equal(core.body.involvedObject.name, 'x');
    assert.equal(core.body.reportingComponent, 'k8ts.io/test');
    const sel = await req('GET', '/api/v1/namespaces/sem/events?fieldSelector=involvedObject.name%3Dx,reason%3DTested');
    assert.equal(sel.body.items.length, 1);
  });

  test('pods/log explains what is missing', async () => {
    await req('POST', '/api/v1/namespaces/sem/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'two' }, spec: { containers: [{ name: 'a', image: 'i' }, { name: 'b', image: 'i' }] } });
    const r = await kubectl(s.kubeconfig, ['logs', 'two', '-n', 'sem', '-c', 'a']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pod two does not have a host assigned/);
    const r2 = await req('GET', '/api/v1/namespaces/sem/pods/two/log');
    assert.equal(r2.code, 400);
    assert.match(r2.body.message, /a container name must be specified for pod two, choose one of: \[a b\]/);
  });
  test('a JSON GET, served from the stored text, carries the current resourceVersion (kubectl -o json)', async () => {
    const created = await req('POST', '/api/v1/namespaces/sem/configmaps', cm('fast-get'));
    assert.equal(created.code, 201);
    const updated = await req('PUT', '/api/v1/namespaces/sem/configmaps/fast-get', { ...created.body, data: { a: '2' } });
    assert.equal(updated.code, 200);
    const got = JSON.parse(await kubectlOk(s.kubeconfig, ['get', 'configmap', 'fast-get', '-n', 'sem', '-o', 'json']));
    assert.equal(got.metadata.resourceVersion, updated.body.metadata.resourceVersion);
    assert.equal(got.metadata.uid, created.body.metadata.uid);
    assert.deepEqual(got.data, { a: '2' });
    assert.equal(got.kind, 'ConfigMap');
    const missing = await req('GET', '/api/v1/namespaces/sem/configmaps/no-such');
    assert.equal(missing.code, 404);
    assert.equal(missing.body.reason, 'NotFound');
  });

  test('a JSON list bigger than one chunk is streamed whole (chunked), a small one goes out with its length', async () => {
    await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'biglist' } });
    // 40 ConfigMaps of 4 KB each: about 2.5 chunks of the list writer's 64 K characters.
    const names = Array.from({ length: 40 }, (_, i) => `big-${String(i).padStart(2, '0')}`);
    for (const n of names) assert.equal((await req('POST', '/api/v1/namespaces/biglist/configmaps', { ...cm(n), data: { a: 'x'.repeat(4096) } })).code, 201);
    const r = await fetch(`${s.url}/api/v1/namespaces/biglist/configmaps`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('transfer-encoding'), 'chunked');
    assert.equal(r.headers.get('content-length'), null);
    const list = JSON.parse(await r.text());
    assert.equal(list.kind, 'ConfigMapList');
    assert.match(list.metadata.resourceVersion, /^\d+$/);
    assert.deepEqual(list.items.map((o: any) => o.metadata.name), names);
    for (const o of list.items) {
      assert.match(o.metadata.resourceVersion, /^\d+$/);
      assert.equal(o.data.a.length, 4096);
    }
    const small = await fetch(`${s.url}/api/v1/namespaces/biglist/configmaps?limit=2`);
    assert.equal(small.status, 200);
    const text = await small.text();
    assert.equal(small.headers.get('content-length'), String(Buffer.byteLength(text)));
    assert.deepEqual(JSON.parse(text).items.map((o: any) => o.metadata.name), names.slice(0, 2));
  });
});
