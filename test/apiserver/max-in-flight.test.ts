// The max-in-flight filter (--max-requests-inflight, --max-mutating-requests-inflight):
// with the mutating slot held by a request whose body has not finished
// arriving, another mutating request gets upstream's 429 with Retry-After,
// read-only requests and system:masters are not refused, and watches do not
// count. client-node sees the 429; kubectl (client-go) backs off on it and
// succeeds once the slot is free.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { kubectl } from '../helpers/kubectl.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';

let s: TestServer;
let aliceConfig: string;

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function adminAgent(): https.Agent {
  const cfg = loadKubeconfig(s.kubeconfig);
  return new https.Agent({ ca: cfg.caData, cert: cfg.certData, key: cfg.keyData });
}

/** A create as the admin whose body is only half sent: it holds a mutating slot until finish() is called. */
function holdMutatingSlot(name: string): { finish: () => Promise<number> } {
  const u = new URL(s.url);
  const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
  const req = https.request({ agent: adminAgent(), host: u.hostname, port: u.port, method: 'POST', path: '/api/v1/namespaces/default/configmaps', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } });
  const status = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
  req.write(body.slice(0, 10));
  return {
    finish: () => {
      req.end(body.slice(10));
      return status;
    },
  };
}

before(async () => {
  s = await startTestServer({ secure: true, api: { maxInFlight: { readOnly: 1, mutating: 1 }, priorityAndFairness: false } });
  aliceConfig = await s.kubeconfigFor('alice');
  const admin = s.kubeconfig;
  const r = await kubectl(admin, ['create', 'rolebinding', 'alice-edit', '--clusterrole', 'edit', '--user', 'alice', '-n', 'default']);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  await s?.close();
});

describe('max in flight', () => {
  test('a mutating request beyond the limit gets 429 with Retry-After; reads, watches and system:masters go through', async () => {
    const held = holdMutatingSlot('held-1');
    await until('the held create to take the mutating slot', () => s.server.inFlight.inFlight.mutating === 1);

    const kc = new k8s.KubeConfig();
    kc.loadFromFile(aliceConfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await assert.rejects(core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'refused' } } }), (e: unknown) => {
      assert.ok(e instanceof k8s.ApiException, String(e));
      assert.equal(e.code, 429);
      assert.equal(e.headers['retry-after'], '1');
      assert.match(String(e.body), /Too many requests, please try again later/);
      return true;
    });
    assert.equal(s.server.inFlight.dropped.mutating, 1);

    // Read-only requests have their own limit.
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    assert.ok(!list.items.some((c) => c.metadata?.name === 'refused'));

    // An open watch is long-running: it takes no read-only slot, so a read still goes through.
    const watch = new k8s.Watch(kc);
    const events: string[] = [];
    const watching = await watch.watch('/api/v1/namespaces/default/configmaps', {}, (type, obj: k8s.V1ConfigMap) => events.push(`${type} ${obj.metadata?.name}`), () => undefined);
    await until('no read-only request to be counted', () => s.server.inFlight.inFlight.readOnly === 0);
    await core.readNamespace({ name: 'default' });

    // system:masters is never refused, even with the slot taken.
    const admin = new k8s.KubeConfig();
    admin.loadFromFile(s.kubeconfig);
    await admin.makeApiClient(k8s.CoreV1Api).createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'by-admin' } } });

    assert.equal(await held.finish(), 201);
    watching.abort();
    await until('the slot to be released', () => s.server.inFlight.inFlight.mutating === 0);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after' } } });
  });

  test('kubectl backs off on the 429 and succeeds once the slot is free', async () => {
    const held = holdMutatingSlot('held-2');
    await until('the held create to take the mutating slot', () => s.server.inFlight.inFlight.mutating === 1);
    const dropped = s.server.inFlight.dropped.mutating;
    const run = kubectl(aliceConfig, ['create', 'configmap', 'patient', '-n', 'default', '-v=6']);
    await until('kubectl to be refused once', () => s.server.inFlight.dropped.mutating > dropped);
    assert.equal(await held.finish(), 201);
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /configmap\/patient created/);
    assert.match(r.stderr, /429 Too Many Requests/);
    const got = await kubectl(aliceConfig, ['get', 'configmap', 'patient', '-n', 'default', '-o', 'name']);
    assert.equal(got.stdout.trim(), 'configmap/patient');
  });
});
