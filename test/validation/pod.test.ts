import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, pod, LABEL_MSG, SUBDOMAIN_MSG } from './helpers.js';
import { invalid } from '../../src/api/errors.js';
import { validateObject } from '../../src/api/validation/index.js';
import { info } from './helpers.js';

test('a valid pod passes', () => {
  assert.deepEqual(check('', 'pods', pod()), []);
  assert.deepEqual(
    check('', 'pods', pod((p) => {
      p.spec.volumes = [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cfg' } }];
      p.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }, { name: 'cfg', mountPath: '/etc/cfg' }];
      p.spec.containers[0].env = [{ name: 'A', value: 'b' }, { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }];
      p.spec.containers[0].resources = { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } };
      p.spec.containers[0].livenessProbe = { httpGet: { port: 80 } };
      p.spec.initContainers = [{ name: 'init', image: 'busybox', command: ['true'] }];
      p.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }];
    })),
    [],
  );
});

test('required container fields', () => {
  const p = pod((p) => (p.spec.containers = [{}]));
  assert.deepEqual(check('', 'pods', p), ['spec.containers[0].name: Required value', 'spec.containers[0].image: Required value']);
  assert.deepEqual(check('', 'pods', pod((p) => (p.spec.containers = []))), ['spec.containers: Required value']);
});

test('container name must be a DNS label; duplicates are reported', () => {
  assert.deepEqual(check('', 'pods', pod((p) => (p.spec.containers[0].name = 'Foo'))), [`spec.containers[0].name: Invalid value: "Foo": ${LABEL_MSG}`]);
  assert.deepEqual(
    check('', 'pods', pod((p) => p.spec.containers.push({ name: 'nginx', image: 'x' }))),
    ['spec.containers[1].name: Duplicate value: "nginx"'],
  );
});

test('ports: range and protocol', () => {
  assert.deepEqual(
    check('', 'pods', pod((p) => (p.spec.containers[0].ports = [{ containerPort: 70000, protocol: 'HTTP' }]))),
    [
      'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    ],
  );
  assert.deepEqual(check('', 'pods', pod((p) => (p.spec.containers[0].ports = [{ name: 'http' }]))), ['spec.containers[0].ports[0].containerPort: Required value']);
});

test('restartPolicy and dnsPolicy values', () => {
  assert.deepEqual(check('', 'pods', pod((p) => (p.spec.restartPolicy = 'Sometimes'))), [
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
  ]);
  assert.deepEqual(check('', 'pods', pod((p) => (p.spec.dnsPolicy = 'Foo'))), [
    'spec.dnsPolicy: Unsupported value: "Foo": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
  ]);
});

test('resources: requests above limits and bad quantities', () => {
  assert.deepEqual(check('', 'pods', pod((p) => (p.spec.containers[0].resources = { limits: { cpu: '500m' }, requests: { cpu: '1' } }))), [
    'spec.containers[0].resources.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m',
  ]);
  const bad = check('', 'pods', pod((p) => (p.spec.containers[0].resources = { requests: { memory: '1Gb' } })));
  assert.equal(bad.length, 1);
  assert.match(bad[0], /^spec\.containers\[0\]\.resources\.requests\[memory\]: Invalid value: "1Gb": quantities must match the regular expression/);
  assert.deepEqual(check('', 'pods', pod((p) => (p.spec.containers[0].resources = { requests: { cpu: '-1' } }))), [
    'spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0',
  ]);
  assert.deepEqual(check('', 'pods', pod((p) => (p.spec.containers[0].resources = { requests: { gpu: '1' } }))), [
    'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
    'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers',
  ]);
});

test('volumes: names, sources and mounts', () => {
  assert.deepEqual(
    check('', 'pods', pod((p) => {
      p.spec.volumes = [{ name: 'a', emptyDir: {} }, { name: 'a', emptyDir: {} }, { name: 'b', emptyDir: {}, hostPath: { path: '/x' } }];
      p.spec.containers[0].volumeMounts = [{ name: 'x', mountPath: '/x' }];
    })),
    [
      'spec.volumes[1].name: Duplicate value: "a"',
      'spec.volumes[2].hostPath: Forbidden: may not specify more than 1 volume type',
      'spec.containers[0].volumeMounts[0].name: Not found: "x"',
    ],
  );
  assert.deepEqual(check('', 'pods', pod((p) => (p.spec.volumes = [{ name: 's', secret: {} }]))), ['spec.volumes[0].secret.secretName: Required value']);
});

test('env names and valueFrom', () => {
  assert.deepEqual(check('', 'pods', pod((p) => (p.spec.containers[0].env = [{ name: 'A=B' }, { value: 'x' }]))), [
    "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
    'spec.containers[0].env[1].name: Required value',
  ]);
  assert.deepEqual(check('', 'pods', pod((p) => (p.spec.containers[0].env = [{ name: 'A', valueFrom: {} }]))), [
    'spec.containers[0].env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
  ]);
});

test('probes need a handler; liveness successThreshold must be 1', () => {
  assert.deepEqual(check('', 'pods', pod((p) => (p.spec.containers[0].livenessProbe = { successThreshold: 2, exec: { command: ['true'] } }))), [
    'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
  ]);
  assert.deepEqual(check('', 'pods', pod((p) => (p.spec.containers[0].readinessProbe = { periodSeconds: 5 }))), [
    'spec.containers[0].readinessProbe: Required value: must specify a handler type',
  ]);
  assert.deepEqual(check('', 'pods', pod((p) => (p.spec.containers[0].readinessProbe = { httpGet: { port: 0 } }))), [
    'spec.containers[0].readinessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive',
  ]);
});

test('metadata rules on a pod', () => {
  assert.deepEqual(check('', 'pods', pod((p) => (p.metadata.name = 'Web_1'))), [`metadata.name: Invalid value: "Web_1": ${SUBDOMAIN_MSG}`]);
  assert.deepEqual(check('', 'pods', pod((p) => (p.metadata = { namespace: 'default' }))), ['metadata.name: Required value: name or generateName is required']);
  assert.deepEqual(check('', 'pods', pod((p) => (p.metadata.labels = { 'a b': 'c' }))), [
    "metadata.labels: Invalid value: \"a b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  ]);
  assert.deepEqual(check('', 'pods', pod((p) => (p.metadata.labels = { a: 'x'.repeat(64) }))), [
    `metadata.labels: Invalid value: "${'x'.repeat(64)}": must be no more than 63 characters`,
  ]);
});

test('the 422 message reads like upstream', () => {
  const i = info('', 'pods');
  const p = pod((p) => {
    p.spec.containers = [{ name: 'c' }];
    p.spec.restartPolicy = 'Always';
  });
  const err = invalid('Pod', '', 'web', validateObject(i, p));
  assert.equal(err.code, 422);
  assert.equal(
    err.message,
    'Pod "web" is invalid: [spec.terminationGracePeriodSeconds: Required value, spec.containers[0].image: Required value, ' +
      'spec.containers[0].terminationMessagePolicy: Required value, spec.containers[0].imagePullPolicy: Required value, spec.dnsPolicy: Required value]',
  );
});

test('pod updates: only images and a few fields may change', () => {
  const old = pod();
  check('', 'pods', old);
  old.metadata.resourceVersion = '1';
  const img = structuredClone(old) as any;
  img.spec.containers[0].image = 'nginx:1.28';
  assert.deepEqual(check('', 'pods', img, old), []);
  const bad = structuredClone(old) as any;
  bad.spec.restartPolicy = 'Never';
  const errs = check('', 'pods', bad, old);
  assert.equal(errs.length, 1);
  assert.ok(
    errs[0].startsWith(
      'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n',
    ),
  );
  const more = structuredClone(old) as any;
  more.spec.containers.push({ name: 'b', image: 'b' });
  assert.deepEqual(check('', 'pods', more, old), ['spec.containers: Forbidden: pod updates may not add or remove containers']);
  const renamed = structuredClone(old) as any;
  renamed.metadata.name = 'other';
  assert.deepEqual(check('', 'pods', renamed, old), ['metadata.name: Invalid value: "other": field is immutable']);
});

test('a status write, which carries the stored spec itself, is not held to the spec rules (upstream ValidatePodStatusUpdate)', () => {
  const old = pod() as any;
  old.metadata.resourceVersion = '1';
  // Stored before a rule it now breaks: its kubelet must still be able to report.
  old.spec.containers[0].name = 'Not_A_Label';
  const status = { ...old, metadata: { ...old.metadata }, spec: old.spec, status: { phase: 'Running' } };
  assert.deepEqual(validateObject(info('', 'pods'), status, old), []);
  // The same spec as a copy is an ordinary update, checked in full.
  const update = { ...status, spec: structuredClone(old.spec) };
  assert.ok(validateObject(info('', 'pods'), update, old).some((e) => e.field === 'spec.containers[0].name'), 'the copy is validated');
});
