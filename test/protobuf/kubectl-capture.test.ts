import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { decodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE } from '../../src/apiserver/protobuf/index.js';
import type { SchemaRegistry } from '../../src/api/schema/index.js';
import { KUBECTL, kubectl } from '../helpers/kubectl.js';
import { startCaptureServer, type CaptureServer, type CapturedWrite } from './capture-server.js';
import { CRONJOB, CSR, DEPLOYMENT, DRAIN_OBJECTS } from './fixtures.js';
import { schemas, schemasWithAutoscalingV1 } from './schemas.js';

// The decoder on real bytes: each command runs against a capture server, and
// the protobuf body it sent must decode to exactly the object the same command
// prints with --dry-run=client -o json (Go's JSON of the same Go struct), give
// or take the nulls Go writes for unset non-omitempty fields.

const hasKubectl = spawnSync(KUBECTL, ['version', '--client'], { encoding: 'utf8' }).status === 0;

/** Go writes `"creationTimestamp": null` and `"rules": null`; the JSON decoder path treats those as absent. */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = withoutNulls(x);
  return out;
}

const OBJECTS: Record<string, unknown> = {
  ...DRAIN_OBJECTS,
  '/apis/batch/v1/namespaces/default/cronjobs/cj': CRONJOB,
  '/apis/apps/v1/namespaces/default/deployments/d': DEPLOYMENT,
  '/apis/certificates.k8s.io/v1/certificatesigningrequests/csr1': CSR,
};

/** The capture server answers a write with the object it decodes to, plus what each review's caller reads. */
function reply(w: CapturedWrite): { code: number; body: unknown } {
  if (w.contentType !== PROTOBUF_CONTENT_TYPE) {
    // kubectl drain's cordon PATCH reads the node back; its JSON eviction reads a Status.
    if (w.path.startsWith('/api/v1/nodes/')) return { code: 200, body: DRAIN_OBJECTS[w.path] };
    return { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
  }
  const obj = decodeKubernetesProtobuf(w.body, schemasWithAutoscalingV1()) as Record<string, any>;
  if (obj.kind === 'TokenRequest') obj.status = { token: 'captured-token', expirationTimestamp: '2030-01-01T00:00:00Z' };
  if (obj.kind === 'SelfSubjectAccessReview') obj.status = { allowed: true };
  if (obj.kind === 'SelfSubjectReview') obj.status = { userInfo: { username: 'admin', groups: ['system:masters'] } };
  obj.metadata = { name: 'captured', ...obj.metadata };
  return { code: 201, body: obj };
}

describe('protobuf bodies captured from the real kubectl', { skip: hasKubectl ? false : `no kubectl at ${KUBECTL}` }, () => {
  let srv: CaptureServer;
  before(async () => {
    srv = await startCaptureServer({ objects: OBJECTS, reply });
  });
  after(async () => {
    await srv?.close();
  });

  /** Runs the command and returns the one protobuf write it made, decoded. */
  async function captured(args: string[], registry: SchemaRegistry = schemas): Promise<{ write: CapturedWrite; object: any }> {
    srv.writes.length = 0;
    const r = await kubectl(srv.kubeconfig, args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    const writes = srv.writes.filter((w) => w.contentType === PROTOBUF_CONTENT_TYPE);
    assert.equal(writes.length, 1, `kubectl ${args.join(' ')} made ${srv.writes.length} writes: ${srv.writes.map((w) => `${w.method} ${w.path} ${w.contentType}`).join(', ')}`);
    const write = writes[0]!;
    assert.equal(write.body.subarray(0, 4).toString('latin1'), 'k8s\x00');
    return { write, object: decodeKubernetesProtobuf(write.body, registry) };
  }

  async function dryRun(args: string[]): Promise<unknown> {
    const r = await kubectl(srv.kubeconfig, ['--dry-run=client', '-o', 'json', ...args]);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} --dry-run=client: ${r.stderr}`);
    return withoutNulls(JSON.parse(r.stdout));
  }

  const sameAsDryRun: [string, string[]][] = [
    ['create configmap', ['create', 'configmap', 'x', '--from-literal=a=b', '--from-literal=empty=', '--from-file=bin=/dev/null']],
    ['create secret generic', ['create', 'secret', 'generic', 's', '--from-literal=k=v', '--from-literal=e=', '--type=Opaque']],
    ['create secret docker-registry', ['create', 'secret', 'docker-registry', 'reg', '--docker-server=r.example.com', '--docker-username=u', '--docker-password=p']],
    ['create deployment', ['create', 'deployment', 'd', '--image=nginx', '--image=busybox', '--replicas=0', '--port=80']],
    ['create namespace', ['create', 'namespace', 'ns1']],
    ['create serviceaccount', ['create', 'serviceaccount', 'sa']],
    ['create service clusterip', ['create', 'service', 'clusterip', 'svc', '--tcp=80:8080', '--tcp=443:https']],
    ['create service clusterip headless', ['create', 'service', 'clusterip', 'headless', '--clusterip=None']],
    ['create service nodeport', ['create', 'service', 'nodeport', 'np', '--tcp=80:8080', '--node-port=30080']],
    ['create service loadbalancer', ['create', 'service', 'loadbalancer', 'lb', '--tcp=5678:8080']],
    ['create service externalname', ['create', 'service', 'externalname', 'ex', '--external-name=db.example.com']],
    ['create job', ['create', 'job', 'j', '--image=busybox', '--', 'echo', 'hi']],
    ['create job --from=cronjob (a whole PodSpec)', ['create', 'job', 'from-cj', '--from=cronjob/cj']],
    ['create cronjob', ['create', 'cronjob', 'cj2', '--image=busybox', '--schedule=*/1 * * * *', '--restart=OnFailure', '--', 'date']],
    ['create quota', ['create', 'quota', 'q', '--hard=cpu=1,memory=1G,pods=2,services.loadbalancers=0', '--scopes=BestEffort']],
    ['create role', ['create', 'role', 'r', '--verb=get,list', '--resource=pods,deployments.apps', '--resource-name=x']],
    ['create rolebinding', ['create', 'rolebinding', 'rb', '--role=r', '--user=u', '--group=g', '--serviceaccount=default:sa']],
    ['create clusterrole', ['create', 'clusterrole', 'cr', '--verb=get', '--non-resource-url=/logs/*']],
    ['create clusterrole --aggregation-rule', ['create', 'clusterrole', 'agg', '--aggregation-rule=rbac.example.com/aggregate=true']],
    ['create clusterrolebinding', ['create', 'clusterrolebinding', 'crb', '--clusterrole=cr', '--group=g']],
    ['create priorityclass', ['create', 'priorityclass', 'pc', '--value=1000', '--description=x', '--preemption-policy=Never', '--global-default']],
    ['create poddisruptionbudget (int)', ['create', 'poddisruptionbudget', 'pdb', '--selector=app=x', '--min-available=0']],
    ['create poddisruptionbudget (percent)', ['create', 'poddisruptionbudget', 'pdb2', '--selector=app=x', '--max-unavailable=50%']],
    ['create ingress', ['create', 'ingress', 'ing', '--rule=foo.com/bar*=svc1:8080,tls=my-cert', '--rule=/path=svc2:http', '--class=default', '--default-backend=defsvc:http', '--annotation=a=b']],
  ];
  for (const [name, args] of sameAsDryRun) {
    test(`kubectl ${name}`, async () => {
      const { object } = await captured(['--validate=false', ...args]);
      assert.deepEqual(object, await dryRun(args));
    });
  }

  test('kubectl autoscale (autoscaling/v1, which the served schema still lacks)', async () => {
    const args = ['autoscale', 'deployment', 'd', '--min=2', '--max=5', '--cpu-percent=80'];
    const { write, object } = await captured(args, schemasWithAutoscalingV1());
    assert.equal(write.path, '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers');
    assert.deepEqual(object, await dryRun(args));
  });

  test('kubectl create token', async () => {
    const args = ['create', 'token', 'sa', '--duration=1h', '--audience=a', '--audience=b', '--bound-object-kind=Pod', '--bound-object-name=p', '--bound-object-uid=123'];
    const { write, object } = await captured(args);
    assert.equal(write.path, '/api/v1/namespaces/default/serviceaccounts/sa/token');
    assert.deepEqual(object, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: {},
      spec: { audiences: ['a', 'b'], expirationSeconds: 3600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: '123' } },
      status: { token: '' },
    });
  });

  test('kubectl auth can-i (SelfSubjectAccessReview)', async () => {
    const res = await captured(['auth', 'can-i', 'get', 'pods', '--subresource=log', '-n', 'ns']);
    assert.equal(res.write.path, '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
    assert.deepEqual(res.object, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: { resourceAttributes: { namespace: 'ns', verb: 'get', resource: 'pods', subresource: 'log' } },
      status: { allowed: false },
    });
    const nonResource = await captured(['auth', 'can-i', 'get', '/logs']);
    assert.deepEqual(nonResource.object.spec, { nonResourceAttributes: { path: '/logs', verb: 'get' } });
  });

  test('kubectl auth whoami (SelfSubjectReview)', async () => {
    const { write, object } = await captured(['auth', 'whoami']);
    assert.equal(write.path, '/apis/authentication.k8s.io/v1/selfsubjectreviews');
    assert.deepEqual(object, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: {}, status: { userInfo: {} } });
  });

  test('kubectl certificate approve (the whole CSR, PUT to /approval)', async () => {
    const { write, object } = await captured(['certificate', 'approve', 'csr1']);
    assert.equal(write.method, 'PUT');
    assert.equal(write.path, '/apis/certificates.k8s.io/v1/certificatesigningrequests/csr1/approval');
    const added = object.status.conditions[1];
    assert.match(added.lastUpdateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    delete added.lastUpdateTime;
    assert.deepEqual(object, {
      ...CSR,
      status: {
        conditions: [
          CSR.status.conditions[0],
          { type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'This CSR was approved by kubectl certificate approve.' },
        ],
      },
    });
  });

  test('kubectl drain --disable-eviction deletes with protobuf DeleteOptions', async () => {
    const { write, object } = await captured(['drain', 'node1', '--disable-eviction', '--grace-period=0', '--ignore-daemonsets']);
    assert.equal(write.method, 'DELETE');
    assert.equal(write.path, '/api/v1/namespaces/default/pods/p1');
    assert.deepEqual(object, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 });
  });

  test('kubectl drain sends its policy/v1 Eviction as JSON, not protobuf', async () => {
    srv.writes.length = 0;
    const r = await kubectl(srv.kubeconfig, ['drain', 'node1', '--grace-period=30', '--ignore-daemonsets']);
    assert.equal(r.code, 0, r.stderr);
    const eviction = srv.writes.find((w) => w.path.endsWith('/eviction'));
    assert.ok(eviction, srv.writes.map((w) => `${w.method} ${w.path}`).join(', '));
    assert.equal(eviction.contentType, 'application/json');
  });
});
