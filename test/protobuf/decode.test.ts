import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../src/api/errors.js';
import { decodeKubernetesProtobuf } from '../../src/apiserver/protobuf/index.js';
import { PB, envelope, objectMeta } from './proto-writer.js';
import { schemas, schemasWithAutoscalingV1 } from './schemas.js';

const decode = (body: Buffer): any => decodeKubernetesProtobuf(body, schemas);

function rejects(body: Buffer, pattern: RegExp): void {
  assert.throws(
    () => decode(body),
    (err: unknown) => err instanceof StatusError && err.code === 400 && err.reason === 'BadRequest' && pattern.test(err.message),
  );
}

test('the ConfigMap kubectl create configmap x --from-literal=a=b sends', () => {
  const body = Buffer.from(
    '6b387300' + '0a0f0a0276311209436f6e6669674d6170' + '121b' + '0a110a017812001a0022002a00320038004200' + '12060a0161120162',
    'hex',
  );
  assert.deepEqual(decode(body), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'b' } });
});

test('bytes become base64, string maps stay strings, empty values are kept in maps', () => {
  const raw = new PB()
    .message(1, (m) => objectMeta(m, 's', 'ns'))
    .message(2, (e) => e.string(1, 'k').bytes(2, Buffer.from([0, 1, 2, 255])))
    .message(2, (e) => e.string(1, 'empty'))
    .string(3, 'Opaque')
    .entry(4, 'plain', 'text')
    .finish();
  assert.deepEqual(decode(envelope('v1', 'Secret', raw)), {
    apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' },
    data: { k: 'AAEC/w==', empty: '' }, type: 'Opaque', stringData: { plain: 'text' },
  });
});

test('zero scalars: omitempty ones dropped, pointers and non-omitempty ones kept, structs kept', () => {
  const container = (c: PB): void => {
    c.string(1, 'web').string(2, 'nginx').message(6, (p) => p.string(1, '').varint(2, 0).varint(3, 0).string(4, 'TCP').string(5, ''));
    c.message(8).string(13, '').varint(16, false);
  };
  const raw = new PB()
    .message(1, (m) => objectMeta(m, 'd'))
    .message(2, (s) =>
      s.varint(1, 0) // replicas: *int32, set to 0 on purpose
        .message(2, (sel) => sel.entry(1, 'app', 'd'))
        .message(3, (t) => t.message(1, (m) => m.message(8).entry(11, 'app', 'd')).message(2, (p) => p.message(2, container)))
        .message(4)
        .varint(5, 0) // minReadySeconds: int32 omitempty
        .varint(7, false) // paused: bool omitempty
        .varint(9, 600),
    )
    .message(3)
    .finish();
  assert.deepEqual(decode(envelope('apps/v1', 'Deployment', raw)), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd' },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'd' } },
      template: {
        metadata: { labels: { app: 'd' } },
        spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 0, protocol: 'TCP' }], resources: {} }] },
      },
      strategy: {},
      progressDeadlineSeconds: 600,
    },
    status: {},
  });
});

test('negative int32 (ten-byte varint), large int64, packed and unpacked repeated ints', () => {
  const raw = new PB()
    .message(1, (m) => m.string(1, 'p').varint(7, 2 ** 40))
    .message(2, (s) =>
      s.varint(25, -5)
        .message(14, (sc) => sc.packed(4, [1, 2]).varint(4, 3).varint(4, -1))
        .varint(5, -1n),
    )
    .finish();
  const body = envelope('v1', 'Pod', raw);
  assert.equal(body.includes(Buffer.from('c801fbffffffffffffffff01', 'hex')), true, 'priority -5 is a ten-byte varint');
  assert.deepEqual(decode(body), {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', generation: 2 ** 40 },
    spec: { priority: -5, securityContext: { supplementalGroups: [1, 2, 3, -1] }, activeDeadlineSeconds: -1 },
  });
});

test('IntOrString, Quantity and inlined structs (Volume, Probe)', () => {
  const raw = new PB()
    .message(1, (m) => objectMeta(m, 'p'))
    .message(2, (s) =>
      s.message(1, (v) => v.string(1, 'cfg').message(2, (src) => src.message(19, (cm) => cm.message(1, (r) => r.string(1, 'settings')).varint(3, 420))))
        .message(1, (v) => v.string(1, 'scratch').message(2, (src) => src.message(2, (e) => e.string(1, 'Memory').message(2, (q) => q.string(1, '64Mi')))))
        .message(2, (c) =>
          c.string(1, 'c')
            .message(8, (r) => r.message(1, (e) => e.string(1, 'cpu').message(2, (q) => q.string(1, '500m'))).message(2, (e) => e.string(1, 'memory').message(2)))
            .message(10, (p) => p.message(1, (h) => h.message(2, (g) => g.string(1, '/healthz').message(2, (port) => port.varint(1, 0).varint(2, 8080).string(3, '')))).varint(2, 3))
            .message(11, (p) => p.message(1, (h) => h.message(3, (t) => t.message(1, (port) => port.varint(1, 1).varint(2, 0).string(3, 'http'))))),
        ),
    )
    .finish();
  assert.deepEqual(decode(envelope('v1', 'Pod', raw)).spec, {
    volumes: [
      { name: 'cfg', configMap: { name: 'settings', defaultMode: 420 } },
      { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
    ],
    containers: [
      {
        name: 'c',
        resources: { limits: { cpu: '500m' }, requests: { memory: '0' } },
        livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 3 },
        readinessProbe: { tcpSocket: { port: 'http' } },
      },
    ],
  });
});

test('Time drops nanoseconds and a zero Time disappears; MicroTime keeps microseconds', () => {
  const raw = new PB()
    .message(1, (m) => m.string(1, 'l').message(8, (t) => t.varint(1, 1704067200).varint(2, 999_999_999)).message(9))
    .message(2, (s) =>
      s.string(1, 'me')
        .varint(2, 15)
        .message(3, (t) => t.varint(1, 0).varint(2, 5000))
        .message(4, (t) => t.varint(1, 1704067200).varint(2, 123_456_789))
        .varint(5, 0),
    )
    .finish();
  assert.deepEqual(decode(envelope('coordination.k8s.io/v1', 'Lease', raw)), {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'l', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: {
      holderIdentity: 'me', leaseDurationSeconds: 15,
      acquireTime: '1970-01-01T00:00:00.000005Z', renewTime: '2024-01-01T00:00:00.123456Z', leaseTransitions: 0,
    },
  });
});

test('map values that are lists travel as ExtraValue messages', () => {
  const raw = new PB()
    .message(1, (m) => objectMeta(m, ''))
    .message(2, (s) =>
      s.string(3, 'alice')
        .message(5, (e) => e.string(1, 'scopes').message(2, (v) => v.string(1, 'a').string(1, 'b')))
        .message(5, (e) => e.string(1, 'none').message(2))
        .message(1, (ra) => ra.string(1, 'default').string(2, 'get').string(4, '').string(5, 'pods')),
    )
    .message(3, (st) => st.varint(1, false).varint(4, false))
    .finish();
  assert.deepEqual(decode(envelope('authorization.k8s.io/v1', 'SubjectAccessReview', raw)), {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    metadata: {},
    spec: { user: 'alice', extra: { scopes: ['a', 'b'], none: [] }, resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } },
    status: { allowed: false },
  });
});

test('RawExtension holds JSON or a nested protobuf object; FieldsV1 holds JSON', () => {
  const nested = envelope('v1', 'ConfigMap', new PB().message(1, (m) => objectMeta(m, 'inner')).finish());
  const rev = (data: Buffer): Buffer =>
    envelope('apps/v1', 'ControllerRevision', new PB()
      .message(1, (m) => {
        objectMeta(m, 'rev');
        m.message(17, (mf) => mf.string(1, 'kubectl').string(2, 'Update').string(3, 'apps/v1').string(6, 'FieldsV1').message(7, (f) => f.bytes(1, Buffer.from('{"f:data":{}}'))));
      })
      .message(2, (d) => d.bytes(1, data))
      .varint(3, 2)
      .finish());
  assert.deepEqual(decode(rev(Buffer.from('{"spec":{"x":1}}'))), {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: { name: 'rev', managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } }] },
    data: { spec: { x: 1 } },
    revision: 2,
  });
  assert.deepEqual(decode(rev(nested)).data, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'inner' } });
  rejects(rev(Buffer.from('{not json')), /RawExtension does not hold valid JSON/);
});

test('DeleteOptions and policy/v1 Eviction: a zero grace period is kept (pointer)', () => {
  const opts = (w: PB): void => {
    w.varint(1, 0).string(4, 'Foreground').string(5, 'All');
  };
  const deleteOptions = new PB();
  opts(deleteOptions);
  assert.deepEqual(decode(envelope('v1', 'DeleteOptions', deleteOptions.finish())), {
    apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, propagationPolicy: 'Foreground', dryRun: ['All'],
  });
  assert.deepEqual(decode(envelope('meta.k8s.io/v1', 'DeleteOptions', new PB().message(2, (p) => p.string(1, 'uid-1')).finish())), {
    apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions', preconditions: { uid: 'uid-1' },
  });
  const eviction = new PB().message(1, (m) => objectMeta(m, 'p1', 'default')).message(2, opts).finish();
  assert.deepEqual(decode(envelope('policy/v1', 'Eviction', eviction)), {
    apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p1', namespace: 'default' },
    deleteOptions: { gracePeriodSeconds: 0, propagationPolicy: 'Foreground', dryRun: ['All'] },
  });
});

test('autoscaling/v1 HorizontalPodAutoscaler decodes once the schema has it', () => {
  const raw = new PB()
    .message(1, (m) => objectMeta(m, 'd', 'default'))
    .message(2, (s) => s.message(1, (r) => r.string(1, 'Deployment').string(2, 'd').string(3, 'apps/v1')).varint(2, 2).varint(3, 5).varint(4, 80))
    .message(3, (st) => st.varint(3, 0).varint(4, 0))
    .finish();
  assert.deepEqual(decodeKubernetesProtobuf(envelope('autoscaling/v1', 'HorizontalPodAutoscaler', raw), schemasWithAutoscalingV1()), {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'd', namespace: 'default' },
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'd', apiVersion: 'apps/v1' }, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 80 },
    status: { currentReplicas: 0, desiredReplicas: 0 },
  });
});

test('an unknown field with a value is refused by number and type; a zero one is skipped', () => {
  const base = (extra: (w: PB) => void): Buffer => envelope('v1', 'Pod', new PB().message(1, (m) => objectMeta(m, 'p')).message(2, (s) => extra(s.string(3, 'Always'))).finish());
  assert.deepEqual(decode(base((s) => s.varint(999, 0).string(998, ''))).spec, { restartPolicy: 'Always' });
  rejects(base((s) => s.varint(999, 7)), /field 999 \(varint\) of io\.k8s\.api\.core\.v1\.PodSpec in protobuf \(at spec\).*send the object as JSON/);
  rejects(
    envelope('v1', 'Pod', new PB().message(2, (s) => s.message(2, (c) => c.string(1, 'c').message(8, (r) => r.string(77, 'x')))).finish()),
    /field 77 .* of io\.k8s\.api\.core\.v1\.ResourceRequirements .*\(at spec\.containers\[0\]\.resources\)/,
  );
});

test('malformed bodies are 400s that say what is wrong', () => {
  rejects(Buffer.from('{"kind":"ConfigMap"}'), /not Kubernetes protobuf/);
  rejects(Buffer.from('k8s\x00\x0a\x05\x0a', 'latin1'), /envelope .* malformed/);
  rejects(envelope('v1', '', Buffer.alloc(0)), /does not name a kind/);
  rejects(envelope('', 'ConfigMap', Buffer.alloc(0)), /without an apiVersion/);
  rejects(envelope('example.com/v1', 'Widget', Buffer.alloc(0)), /cannot decode Widget \(example\.com\/v1\)/);
  rejects(envelope('v1', 'ConfigMap', new PB().message(1, (m) => m.raw(Buffer.from([0x0a, 0x09, 0x61]))).finish()), /malformed in io\.k8s\.apimachinery\.pkg\.apis\.meta\.v1\.ObjectMeta/);
  rejects(envelope('v1', 'ConfigMap', new PB().varint(1, 3).finish()), /field 1 of io\.k8s\.api\.core\.v1\.ConfigMap .* is varint, but this server reads it as length-delimited/);
  const gz = Buffer.concat([Buffer.from('k8s\x00', 'latin1'), new PB().message(1, (t) => t.string(1, 'v1').string(2, 'ConfigMap')).bytes(2, Buffer.alloc(3)).string(3, 'gzip').finish()]);
  rejects(gz, /content encoding "gzip"/);
});
