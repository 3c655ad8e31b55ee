import { after, before, describe, test, type TestOptions } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RESOURCES } from '../../src/api/scheme/resources.js';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { PB, envelope, objectMeta } from './proto-writer.js';

// kubectl's typed create commands against the real server: their bodies are
// protobuf, the server decodes them, and what kubectl reads back is what it
// sent. A command whose kind the server does not serve yet is skipped.

const served = (group: string, kind: string): boolean => RESOURCES.some((r) => r.group === group && r.kind === kind);
const skipUnless = (group: string, kind: string): { skip: string | false } => ({
  skip: served(group, kind) ? false : `${group || 'core'}/${kind} is not served yet`,
});

describe('kubectl create with protobuf bodies, end to end', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv?.close();
  });

  const e2e = (name: string, opts: TestOptions, fn: () => Promise<void>): void => {
    test(name, opts, fn);
  };

  const ok = (args: string[]): Promise<string> => kubectlOk(srv.kubeconfig, args);
  const getJson = async (args: string[]): Promise<any> => JSON.parse(await ok(['get', ...args, '-o', 'json']));

  e2e('configmap: literals, an empty value and binary data', skipUnless('', 'ConfigMap'), async () => {
    // Not UTF-8, so kubectl files it under binaryData.
    const bin = join(srv.dir, 'blob.bin');
    await writeFile(bin, Buffer.from([0xff, 0xfe, 0x00, 0x01]));
    await ok(['create', 'configmap', 'cm1', '--from-literal=a=b', '--from-literal=empty=', `--from-file=blob=${bin}`]);
    const cm = await getJson(['configmap', 'cm1']);
    assert.deepEqual(cm.data, { a: 'b', empty: '' });
    assert.deepEqual(cm.binaryData, { blob: '//4AAQ==' });
    assert.ok(cm.metadata.uid && cm.metadata.creationTimestamp);
  });

  e2e('secret: bytes arrive as base64 data', skipUnless('', 'Secret'), async () => {
    await ok(['create', 'secret', 'generic', 's1', '--from-literal=password=hunter2']);
    const s = await getJson(['secret', 's1']);
    assert.equal(Buffer.from(s.data.password, 'base64').toString(), 'hunter2');
    assert.equal(s.type, 'Opaque');
  });

  e2e('namespace and serviceaccount', skipUnless('', 'Namespace'), async () => {
    await ok(['create', 'namespace', 'pb-ns']);
    await ok(['create', 'serviceaccount', 'runner', '-n', 'pb-ns']);
    assert.equal((await getJson(['namespace', 'pb-ns'])).status.phase, 'Active');
    assert.equal((await getJson(['serviceaccount', 'runner', '-n', 'pb-ns'])).metadata.namespace, 'pb-ns');
  });

  e2e('deployment: replicas 0 stays 0, the pod template comes through', skipUnless('apps', 'Deployment'), async () => {
    await ok(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=0', '--port=80']);
    const d = await getJson(['deployment', 'web']);
    assert.equal(d.spec.replicas, 0);
    assert.deepEqual(d.spec.selector, { matchLabels: { app: 'web' } });
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.25');
    assert.equal(d.spec.template.spec.containers[0].ports[0].containerPort, 80);
  });

  e2e('service: int and named target ports (IntOrString)', skipUnless('', 'Service'), async () => {
    await ok(['create', 'service', 'clusterip', 'svc1', '--tcp=80:8080', '--tcp=443:https']);
    const svc = await getJson(['service', 'svc1']);
    assert.deepEqual(svc.spec.ports.map((p: any) => [p.port, p.targetPort]), [[80, 8080], [443, 'https']]);
  });

  e2e('job and cronjob', skipUnless('batch', 'CronJob'), async () => {
    await ok(['create', 'job', 'once', '--image=busybox', '--', 'echo', 'hi']);
    await ok(['create', 'cronjob', 'nightly', '--image=busybox', '--schedule=0 3 * * *', '--', 'date']);
    await ok(['create', 'job', 'from-nightly', '--from=cronjob/nightly']);
    assert.deepEqual((await getJson(['job', 'once'])).spec.template.spec.containers[0].command, ['echo', 'hi']);
    assert.equal((await getJson(['cronjob', 'nightly'])).spec.schedule, '0 3 * * *');
    const copied = await getJson(['job', 'from-nightly']);
    assert.deepEqual(copied.spec.template.spec.containers[0].command, ['date']);
    assert.equal(copied.metadata.ownerReferences[0].kind, 'CronJob');
  });

  e2e('resource quota: quantities and scopes', skipUnless('', 'ResourceQuota'), async () => {
    await ok(['create', 'quota', 'q1', '--hard=cpu=1,memory=1G,pods=2', '--scopes=BestEffort']);
    const q = await getJson(['resourcequota', 'q1']);
    assert.deepEqual(q.spec.hard, { cpu: '1', memory: '1G', pods: '2' });
    assert.deepEqual(q.spec.scopes, ['BestEffort']);
  });

  e2e('rbac: role, rolebinding, clusterrole, clusterrolebinding', skipUnless('rbac.authorization.k8s.io', 'Role'), async () => {
    await ok(['create', 'role', 'reader', '--verb=get,list', '--resource=pods']);
    await ok(['create', 'rolebinding', 'reader', '--role=reader', '--user=alice', '--serviceaccount=default:runner']);
    await ok(['create', 'clusterrole', 'logs', '--verb=get', '--non-resource-url=/logs/*']);
    await ok(['create', 'clusterrolebinding', 'logs', '--clusterrole=logs', '--group=ops']);
    assert.deepEqual((await getJson(['role', 'reader'])).rules, [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }]);
    assert.deepEqual((await getJson(['rolebinding', 'reader'])).roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' });
    assert.deepEqual((await getJson(['clusterrole', 'logs'])).rules, [{ verbs: ['get'], nonResourceURLs: ['/logs/*'] }]);
    assert.deepEqual((await getJson(['clusterrolebinding', 'logs'])).subjects, [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'ops' }]);
  });

  e2e('auth can-i and auth whoami send reviews in protobuf', skipUnless('authorization.k8s.io', 'SelfSubjectAccessReview'), async () => {
    const r = await kubectl(srv.kubeconfig, ['auth', 'can-i', 'get', 'pods']);
    assert.match(r.stdout, /^(yes|no)\n$/, r.stderr);
    if (served('authentication.k8s.io', 'SelfSubjectReview')) assert.match(await ok(['auth', 'whoami', '-o', 'json']), /"userInfo"/);
  });

  e2e('an unknown protobuf field is a 400 that says which, and nothing is stored', skipUnless('', 'ConfigMap'), async () => {
    const raw = new PB().message(1, (m) => objectMeta(m, 'odd')).entry(2, 'a', 'b').string(99, 'surprise').finish();
    const res = await fetch(`${srv.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf', Accept: 'application/json' },
      body: envelope('v1', 'ConfigMap', raw),
    });
    const status = (await res.json()) as any;
    assert.equal(res.status, 400);
    assert.equal(status.reason, 'BadRequest');
    assert.match(status.message, /field 99 .* of io\.k8s\.api\.core\.v1\.ConfigMap/);
    const get = await kubectl(srv.kubeconfig, ['get', 'configmap', 'odd']);
    assert.notEqual(get.code, 0);
  });
});
