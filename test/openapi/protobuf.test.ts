import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { ProtoWriter } from '../../src/apiserver/openapi/protobuf-writer.js';
import { encodeV2Document } from '../../src/apiserver/openapi/v2-protobuf.js';
import { buildV2Document } from '../../src/apiserver/openapi/v2-document.js';
import { loadSchemaRegistry } from '../../src/api/schema/index.js';
import { RESOURCES } from '../../src/api/scheme/resources.js';

// A reader just big enough to check the writer: field number → raw values.
type Fields = Map<number, (number | Uint8Array)[]>;

function read(buf: Uint8Array): Fields {
  const out: Fields = new Map();
  let i = 0;
  const varint = () => {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++];
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 0x80;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    let value: number | Uint8Array;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const len = varint();
      value = buf.subarray(i, i + len);
      i += len;
    } else if (wire === 1) {
      value = Buffer.from(buf.subarray(i, i + 8)).readDoubleLE(0);
      i += 8;
    } else throw new Error(`unexpected wire type ${wire}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  assert.equal(i, buf.length, 'message ends on a field boundary');
  return out;
}

const str = (v: number | Uint8Array | undefined) => Buffer.from(v as Uint8Array).toString('utf8');
const msg = (f: Fields, n: number, k = 0) => read(f.get(n)![k] as Uint8Array);
const all = (f: Fields, n: number) => (f.get(n) ?? []).map((v) => read(v as Uint8Array));

describe('ProtoWriter', () => {
  test('round-trips scalars, repeated strings and nested messages of any size', () => {
    const long = 'x'.repeat(70_000);
    const w = new ProtoWriter();
    w.string(1, 'hi').uint(2, 300).bool(3, true).bool(4, false).string(5, '').double(6, 1.5).strings(7, ['a', '', 'b']);
    w.message(8, (m) => m.string(1, long).message(2, (mm) => mm.string(1, 'deep')));
    w.message(9, () => {});
    const f = read(w.finish());
    assert.equal(str(f.get(1)![0]), 'hi');
    assert.equal(f.get(2)![0], 300);
    assert.equal(f.get(3)![0], 1);
    assert.equal(f.has(4), false);
    assert.equal(f.has(5), false);
    assert.equal(f.get(6)![0], 1.5);
    assert.deepEqual(f.get(7)!.map(str), ['a', '', 'b']);
    const nested = msg(f, 8);
    assert.equal(str(nested.get(1)![0]), long);
    assert.equal(str(msg(nested, 2).get(1)![0]), 'deep');
    assert.equal((f.get(9)![0] as Uint8Array).length, 0);
  });
});

describe('OpenAPI v2 as gnostic protobuf', () => {
  const doc = buildV2Document(loadSchemaRegistry(), RESOURCES) as any;
  const pb = read(encodeV2Document(doc));

  const namedAny = (f: Fields, field: number) =>
    Object.fromEntries(all(f, field).map((na) => [str(na.get(1)![0]), parseYaml(str(msg(na, 2).get(2)![0]))]));

  test('header fields', () => {
    assert.equal(str(pb.get(1)![0]), '2.0');
    assert.equal(str(msg(pb, 2).get(1)![0]), 'Kubernetes');
  });

  test('every path is there, and the Pod PATCH carries fieldValidation and its GVK', () => {
    const paths = new Map(all(msg(pb, 8), 2).map((np) => [str(np.get(1)![0]), msg(np, 2)]));
    assert.equal(paths.size, Object.keys(doc.paths).length);
    const item = paths.get('/api/v1/namespaces/{namespace}/pods/{name}')!;
    const patch = msg(item, 8);
    assert.equal(str(patch.get(5)![0]), 'patchCoreV1NamespacedPod');
    const queryNames = all(patch, 8).map((pi) => msg(pi, 1)).filter((p) => p.has(2)).map((p) => str(msg(msg(p, 2), 3).get(4)![0]));
    assert.ok(queryNames.includes('fieldValidation'));
    assert.deepEqual(namedAny(patch, 13)['x-kubernetes-group-version-kind'], { group: '', kind: 'Pod', version: 'v1' });
    assert.equal(namedAny(patch, 13)['x-kubernetes-action'], 'patch');
    const pathParams = all(item, 9).map((pi) => msg(msg(pi, 1), 2)).filter((nb) => nb.has(4)).map((nb) => str(msg(nb, 4).get(4)![0]));
    assert.deepEqual(pathParams.sort(), ['name', 'namespace']);
  });

  test('definitions keep properties, references and extensions', () => {
    const defs = new Map(all(msg(pb, 9), 1).map((ns) => [str(ns.get(1)![0]), msg(ns, 2)]));
    assert.equal(defs.size, Object.keys(doc.definitions).length);
    const podSpec = defs.get('io.k8s.api.core.v1.PodSpec')!;
    const props = new Map(all(msg(podSpec, 25), 1).map((ns) => [str(ns.get(1)![0]), msg(ns, 2)]));
    const containers = props.get('containers')!;
    assert.deepEqual(str(msg(containers, 22).get(1)![0]), 'array');
    assert.equal(str(msg(msg(containers, 23), 1).get(1)![0]), '#/definitions/io.k8s.api.core.v1.Container');
    assert.equal(namedAny(containers, 31)['x-kubernetes-patch-merge-key'], 'name');
    assert.deepEqual(namedAny(defs.get('io.k8s.api.apps.v1.Deployment')!, 31)['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    assert.deepEqual(podSpec.get(19)!.map(str), ['containers']);
  });
});
