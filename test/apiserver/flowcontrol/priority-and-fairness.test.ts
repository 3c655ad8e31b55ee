// API Priority and Fairness through a real API server: with the server's
// concurrency limit at 2 (one seat per level), a controller-manager create
// holds workload-high's seat and five more wait in its queues; a node's
// Lease PUT, at node-high, is answered while they still wait. The response
// headers name the FlowSchema and priority level (kubectl -v=8 shows them),
// and /metrics has the apiserver_flowcontrol_* families.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { startTestServer, type TestServer } from '../../helpers/apiserver.js';
import { kubectl, kubectlOk } from '../../helpers/kubectl.js';
import { loadKubeconfig } from '../../../src/client/kubeconfig.js';
import { ensureFlowcontrolObjects } from '../../../src/apiserver/flowcontrol/objects.js';

let s: TestServer;
let kcm: https.Agent;
let node: https.Agent;
let admin: https.Agent;
let aliceConfig: string;

const uidOf = (kind: 'schemas' | 'levels', name: string): string => s.server.flowControl!.configuration()[kind].find((o) => o.name === name)!.uid;

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function agentFor(kubeconfig: string): Promise<https.Agent> {
  const cfg = loadKubeconfig(kubeconfig);
  return new https.Agent({ ca: cfg.caData, cert: cfg.certData, key: cfg.keyData, keepAlive: true, maxSockets: 50 });
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request whose body is sent whole, or only its first bytes until finish() (then it holds whatever seat it took). */
function send(agent: https.Agent, method: string, path: string, body?: unknown, opts: { partial?: boolean } = {}): { reply: Promise<Reply>; finish: () => void } {
  const u = new URL(s.url);
  const text = body === undefined ? '' : JSON.stringify(body);
  const req = https.request({ agent, host: u.hostname, port: u.port, method, path, headers: text ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) } : {} });
  const reply = new Promise<Reply>((resolve, reject) => {
    req.on('response', (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
    });
    req.on('error', reject);
  });
  if (opts.partial) {
    req.write(text.slice(0, 10));
    return { reply, finish: () => req.end(text.slice(10)) };
  }
  req.end(text);
  return { reply, finish: () => undefined };
}

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });

before(async () => {
  // --max-requests-inflight 1 + --max-mutating-requests-inflight 1: a concurrency limit of 2, one seat per limited level.
  s = await startTestServer({ secure: true, api: { maxInFlight: { readOnly: 1, mutating: 1 } } });
  await kubectlOk(s.kubeconfig, ['create', 'rolebinding', 'kcm-edit', '--clusterrole', 'edit', '--user', 'system:kube-controller-manager', '-n', 'default']);
  await kubectlOk(s.kubeconfig, ['create', 'rolebinding', 'alice-edit', '--clusterrole', 'edit', '--user', 'alice', '-n', 'default']);
  kcm = await agentFor(await s.kubeconfigFor('system:kube-controller-manager'));
  node = await agentFor(await s.kubeconfigFor('system:node:n1', ['system:nodes']));
  admin = await agentFor(s.kubeconfig);
  aliceConfig = await s.kubeconfigFor('alice');
});

after(async () => {
  for (const a of [kcm, node, admin]) a?.destroy();
  await s?.close();
});

describe('priority and fairness', () => {
  test('a node\'s Lease PUT is answered while workload requests wait for their level\'s seat', async () => {
    const fc = s.server.flowControl;
    assert.ok(fc, 'priority and fairness is on by default');
    assert.equal(fc.levelState('workload-high')?.seats, 1);
    assert.equal(fc.levelState('node-high')?.seats, 1);

    const leasePath = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
    const created = await send(node, 'POST', leasePath, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40 } }).reply;
    assert.equal(created.status, 201, created.body);
    const lease = JSON.parse(created.body) as { metadata: { resourceVersion: string }; spec: Record<string, unknown> };

    const held = send(kcm, 'POST', '/api/v1/namespaces/default/configmaps', configMap('held'), { partial: true });
    await until('the held create to take workload-high\'s seat', () => fc.levelState('workload-high')?.executing === 1);

    const answered: string[] = [];
    const waiting = Array.from({ length: 5 }, (_, i) =>
      send(kcm, 'POST', '/api/v1/namespaces/default/configmaps', configMap(`queued-${i}`)).reply.then((r) => {
        answered.push(`queued-${i}`);
        return r;
      }),
    );
    await until('five creates to wait in workload-high\'s queues', () => fc.levelState('workload-high')?.waiting === 5);

    const renewed = await send(node, 'PUT', `${leasePath}/n1`, { ...lease, spec: { ...lease.spec, renewTime: new Date().toISOString().replace('Z', '000Z') } }).reply;
    answered.push('lease');
    assert.equal(renewed.status, 200, renewed.body);
    assert.equal(renewed.headers['x-kubernetes-pf-flowschema-uid'], uidOf('schemas', 'system-node-high'));
    assert.equal(renewed.headers['x-kubernetes-pf-prioritylevel-uid'], uidOf('levels', 'node-high'));
    assert.deepEqual(answered, ['lease'], 'the Lease was answered before any waiting create');
    assert.equal(fc.levelState('workload-high')?.waiting, 5, 'the creates still wait');

    held.finish();
    const first = await held.reply;
    assert.equal(first.status, 201, first.body);
    assert.equal(first.headers['x-kubernetes-pf-prioritylevel-uid'], uidOf('levels', 'workload-high'));
    for (const r of await Promise.all(waiting)) assert.equal(r.status, 201, r.body);
    assert.equal(answered[0], 'lease');
    assert.equal(answered.length, 6);

    const metrics = await send(admin, 'GET', '/metrics').reply;
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /apiserver_flowcontrol_dispatched_requests_total\{priority_level="node-high",flow_schema="system-node-high"\} 2/);
    assert.match(metrics.body, /apiserver_flowcontrol_dispatched_requests_total\{priority_level="workload-high",flow_schema="kube-controller-manager"\} 6/);
    assert.match(metrics.body, /apiserver_flowcontrol_current_inqueue_requests\{priority_level="workload-high",flow_schema="kube-controller-manager"\} 0/);
    assert.match(metrics.body, /apiserver_flowcontrol_current_executing_requests\{priority_level="workload-high",flow_schema="kube-controller-manager"\} 0/);
    assert.match(metrics.body, /apiserver_flowcontrol_nominal_limit_seats\{priority_level="workload-high"\} 1/);
    assert.match(metrics.body, /# TYPE apiserver_flowcontrol_rejected_requests_total counter/);
  });

  test('a client that leaves while waiting gives up its place; the next waiting request gets the seat', async () => {
    const fc = s.server.flowControl!;
    const held = send(kcm, 'POST', '/api/v1/namespaces/default/configmaps', configMap('held-2'), { partial: true });
    await until('the held create to take the seat', () => fc.levelState('workload-high')?.executing === 1);
    const leaving = https.request({ agent: kcm, host: new URL(s.url).hostname, port: new URL(s.url).port, method: 'POST', path: '/api/v1/namespaces/default/configmaps', headers: { 'Content-Type': 'application/json' } });
    leaving.on('error', () => undefined);
    leaving.end(JSON.stringify(configMap('left')));
    await until('the leaving create to wait', () => fc.levelState('workload-high')?.waiting === 1);
    const staying = send(kcm, 'POST', '/api/v1/namespaces/default/configmaps', configMap('stayed'));
    await until('both to wait', () => fc.levelState('workload-high')?.waiting === 2);
    leaving.destroy();
    await until('the leaving one to be dropped', () => fc.levelState('workload-high')?.waiting === 1);
    held.finish();
    assert.equal((await held.reply).status, 201);
    assert.equal((await staying.reply).status, 201);
    assert.equal(fc.stats.snapshot().rejected['workload-high/kube-controller-manager/cancelled'], 1);
    const got = await send(admin, 'GET', '/api/v1/namespaces/default/configmaps/left').reply;
    assert.equal(got.status, 404, 'a request whose client left before its seat was never served');
  });

  test('the FlowSchemas and priority levels are objects kubectl lists; the headers carry their uids', async () => {
    const fs = await kubectlOk(s.kubeconfig, ['get', 'flowschemas']);
    assert.match(fs, /^NAME\s+PRIORITYLEVEL\s+MATCHINGPRECEDENCE\s+DISTINGUISHERMETHOD\s+AGE\s+MISSINGPL/);
    assert.match(fs, /\nexempt\s+exempt\s+1\s+<none>\s+\S+\s+False\n/);
    assert.match(fs, /\nsystem-node-high\s+node-high\s+400\s+ByUser\s+\S+\s+False\n/);
    assert.match(fs, /\ncatch-all\s+catch-all\s+10000\s+ByUser\s+\S+\s+False\n/);
    const pl = await kubectlOk(s.kubeconfig, ['get', 'prioritylevelconfigurations']);
    assert.match(pl, /^NAME\s+TYPE\s+NOMINALCONCURRENCYSHARES\s+QUEUES\s+HANDSIZE\s+QUEUELENGTHLIMIT\s+AGE/);
    assert.match(pl, /\nnode-high\s+Limited\s+40\s+64\s+6\s+50\s+\S+\n/);
    assert.match(pl, /\nexempt\s+Exempt\s+<none>\s+<none>\s+<none>\s+<none>\s+\S+\n/);
    assert.match(pl, /\ncatch-all\s+Limited\s+5\s+<none>\s+<none>\s+<none>\s+\S+\n/);
    const uid = (await kubectlOk(s.kubeconfig, ['get', 'flowschema', 'global-default', '-o', 'jsonpath={.metadata.uid}'])).trim();
    assert.equal(uid, uidOf('schemas', 'global-default'));
    const plUid = (await kubectlOk(s.kubeconfig, ['get', 'prioritylevelconfiguration', 'node-high', '-o', 'jsonpath={.metadata.uid}'])).trim();
    assert.equal(plUid, uidOf('levels', 'node-high'));
  });

  test('a second start finds the objects and keeps their uids', async () => {
    const { schemas, levels } = s.server.flowControl!.configuration();
    const again = await ensureFlowcontrolObjects(s.server.registry, schemas, levels);
    for (const fs of schemas) assert.equal(again.schemas.get(fs.name), fs.uid, fs.name);
    for (const l of levels) assert.equal(again.levels.get(l.name), l.uid, l.name);
  });

  test('kubectl -v=8 shows the FlowSchema and priority level uids of its requests', async () => {
    const r = await kubectl(aliceConfig, ['get', 'configmaps', '-n', 'default', '-v=8']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stderr.includes(`X-Kubernetes-Pf-Flowschema-Uid: ${uidOf('schemas', 'global-default')}`), r.stderr);
    assert.ok(r.stderr.includes(`X-Kubernetes-Pf-Prioritylevel-Uid: ${uidOf('levels', 'global-default')}`), r.stderr);
    const asAdmin = await kubectl(s.kubeconfig, ['get', 'namespace', 'default', '-v=8']);
    assert.ok(asAdmin.stderr.includes(`X-Kubernetes-Pf-Prioritylevel-Uid: ${uidOf('levels', 'exempt')}`), asAdmin.stderr);
  });
});
