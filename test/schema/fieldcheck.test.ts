import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkFields, fieldValidationOutcome, findDuplicateKeys, loadSchemaRegistry, parseFieldValidation, typeErrorMessage,
} from '../../src/api/schema/index.js';

const registry = loadSchemaRegistry();
const pod = registry.forKind('', 'v1', 'Pod')!;
const deployment = registry.forKind('apps', 'v1', 'Deployment')!;

const podWith = (container: Record<string, unknown>) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i', ...container }] },
});

describe('checkFields', () => {
  test('a valid object has nothing to report', () => {
    assert.deepEqual(checkFields(pod, podWith({ ports: [{ containerPort: 80, protocol: 'TCP' }] })), { unknownFields: [], typeErrors: [] });
  });

  test('unknown fields are named by their path, with list indexes, in document order', () => {
    const obj = podWith({ imagee: 'x' });
    (obj.metadata as any).extra = 1;
    (obj as any).Spec = {};
    assert.deepEqual(checkFields(pod, obj).unknownFields, ['metadata.extra', 'spec.containers[0].imagee', 'Spec']);
  });

  test('map keys are free: labels and annotations accept any key', () => {
    assert.deepEqual(checkFields(pod, { metadata: { labels: { 'a/b': 'c' }, annotations: { x: 'y' } } }).unknownFields, []);
  });

  test('wrong types name the Go struct field and type, as upstream', () => {
    const { typeErrors } = checkFields(deployment, { spec: { replicas: 'three' } });
    assert.equal(typeErrors.length, 1);
    assert.equal(typeErrorMessage(typeErrors[0]), 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32');
    const nested = checkFields(pod, podWith({ ports: [{ containerPort: 80.5 }], stdin: 'yes', args: 'a' })).typeErrors;
    assert.deepEqual(nested.map((e) => [e.path, e.expected, e.got]), [
      ['spec.containers[0].ports[0].containerPort', 'int32', 'number 80.5'],
      ['spec.containers[0].stdin', 'bool', 'string'],
      ['spec.containers[0].args', '[]string', 'string'],
    ]);
    assert.equal(nested[0].goField, 'ContainerPort.spec.containers.ports.containerPort');
    assert.equal(checkFields(pod, { metadata: { labels: ['a'] } }).typeErrors[0].expected, 'map[string]string');
    assert.equal(checkFields(pod, { spec: [] }).typeErrors[0].expected, 'v1.PodSpec');
  });

  test('int-or-string takes an integer or a string, nothing else', () => {
    const svc = registry.forKind('', 'v1', 'Service')!;
    const port = (targetPort: unknown) => checkFields(svc, { spec: { ports: [{ port: 80, targetPort }] } }).typeErrors;
    assert.deepEqual(port(8080), []);
    assert.deepEqual(port('http'), []);
    assert.equal(port(true).length, 1);
    assert.equal(port(1.5)[0].got, 'number 1.5');
  });

  test('quantities take strings and numbers in the quantity syntax', () => {
    const limits = (l: Record<string, unknown>) => checkFields(pod, podWith({ resources: { limits: l } })).typeErrors;
    assert.deepEqual(limits({ cpu: 1, memory: '1Gi', 'example.com/gpu': '500m', x: '1e3', y: 0.5 }), []);
    const bad = limits({ cpu: 'lots' });
    assert.equal(bad.length, 1);
    assert.equal(bad[0].path, 'spec.containers[0].resources.limits.cpu');
    assert.match(typeErrorMessage(bad[0]), /^spec\.containers\[0\]\.resources\.limits\.cpu: quantities must match/);
    assert.equal(limits({ cpu: true })[0].expected, 'resource.Quantity');
  });

  test('preserve-unknown-fields subtrees accept anything', () => {
    const cr = registry.forKind('apps', 'v1', 'ControllerRevision')!;
    assert.deepEqual(checkFields(cr, { revision: 1, data: { anything: [1, { goes: true }] } }), { unknownFields: [], typeErrors: [] });
    const managed = { metadata: { managedFields: [{ manager: 'm', fieldsV1: { 'f:spec': { 'f:x': {} } } }] } };
    assert.deepEqual(checkFields(pod, managed), { unknownFields: [], typeErrors: [] });
  });

  test('null is accepted anywhere, as Go decodes it to the zero value', () => {
    assert.deepEqual(checkFields(deployment, { spec: { replicas: null, template: null } }).typeErrors, []);
  });

  test('byte fields must be base64', () => {
    const secret = registry.forKind('', 'v1', 'Secret')!;
    assert.deepEqual(checkFields(secret, { data: { a: 'aGVsbG8=' } }).typeErrors, []);
    assert.equal(checkFields(secret, { data: { a: 'not base64!' } }).typeErrors[0].detail, 'illegal base64 data');
  });
});

describe('findDuplicateKeys', () => {
  test('names repeated keys by path, once each, in order', () => {
    const body = '{"metadata":{"name":"a","labels":{"x":"1","x":"2"},"name":"b"},"spec":{"containers":[{"name":"c","name":"d"}]},"metadata":{}}';
    assert.deepEqual(findDuplicateKeys(body), ['metadata.labels.x', 'metadata.name', 'spec.containers[0].name', 'metadata']);
  });

  test('strings with escapes and braces do not confuse it', () => {
    assert.deepEqual(findDuplicateKeys('{"a":"}\\"{","b\\u0041":1,"bA":2, "c": [1, "]", {"d": null}]}'), ['bA']);
  });

  test('escaped quotes and backslashes end a key only where JSON says', () => {
    assert.deepEqual(findDuplicateKeys('{"k\\"q":1,"k\\"q":2,"b\\\\":[[{"x":1,"x":2}]],"b\\\\":0}'), ['k"q', 'b\\[0][0].x', 'b\\']);
  });

  test('objects with many keys and nested arrays', () => {
    const keys = Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`);
    assert.deepEqual(findDuplicateKeys(`{${keys.join(',')},"k3":{"a":[1,{"b":[{"c":1,"c":2}]}]},"k3":0}`), ['k3', 'k3.a[1].b[0].c']);
    assert.deepEqual(findDuplicateKeys('[{"a":1,"a":1},[{"b":2,"b":3}]]'), ['[0].a', '[1][0].b']);
  });

  test('malformed input ends the scan quietly', () => {
    assert.deepEqual(findDuplicateKeys('{"a":1,"a":'), ['a']);
    assert.deepEqual(findDuplicateKeys('[}'), []);
    assert.deepEqual(findDuplicateKeys(''), []);
  });
});

describe('fieldValidationOutcome', () => {
  const check = checkFields(pod, podWith({ imagee: 'x' }));

  test('Strict fails with upstream’s strict decoding message', () => {
    const { error } = fieldValidationOutcome({ kind: 'Pod', version: 'v1', check, duplicates: ['metadata.name'], directive: 'Strict' });
    assert.equal(error?.code, 400);
    assert.equal(error?.reason, 'BadRequest');
    assert.equal(error?.message, 'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagee", duplicate field "metadata.name"');
  });

  test('Warn warns, Ignore ignores, type errors fail regardless', () => {
    assert.deepEqual(fieldValidationOutcome({ kind: 'Pod', version: 'v1', check, duplicates: [], directive: 'Warn' }), { warnings: ['unknown field "spec.containers[0].imagee"'] });
    assert.deepEqual(fieldValidationOutcome({ kind: 'Pod', version: 'v1', check, duplicates: [], directive: 'Ignore' }), { warnings: [] });
    const typed = checkFields(deployment, { spec: { replicas: 'x' } });
    assert.equal(fieldValidationOutcome({ kind: 'Deployment', version: 'v1', check: typed, duplicates: [], directive: 'Ignore' }).error?.code, 400);
  });

  test('the directive defaults to Warn and rejects unknown values', () => {
    assert.equal(parseFieldValidation(null), 'Warn');
    assert.equal(parseFieldValidation('Strict'), 'Strict');
    assert.throws(() => parseFieldValidation('strict'), /Unsupported value/);
  });
});
