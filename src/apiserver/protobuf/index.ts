// Kubernetes protobuf request bodies → the JSON object the JSON decoder would
// have produced. kubectl's typed clients (create configmap, create deployment,
// auth can-i, drain, certificate approve …) send protobuf; responses stay
// JSON, which those clients accept as well.

import { badRequest } from '../../api/errors.js';
import type { SchemaRegistry } from '../../api/schema/index.js';
import { META_PACKAGE } from '../../api/schema/groups.js';
import { readEnvelope } from './envelope.js';
import { fieldIndex } from './fields/index.js';
import { decodeMessage } from './message.js';

export { PROTOBUF_CONTENT_TYPE } from './content-type.js';

/** Embedded protobuf objects (RawExtension) may nest envelopes; real objects use one or two. */
const MAX_ENVELOPE_DEPTH = 8;

export function decodeKubernetesProtobuf(body: Buffer, schemas: SchemaRegistry): unknown {
  return decodeAt(body, schemas, 0);
}

function decodeAt(body: Buffer, schemas: SchemaRegistry, depth: number): Record<string, unknown> {
  if (depth > MAX_ENVELOPE_DEPTH) throw badRequest(`the protobuf body nests more than ${MAX_ENVELOPE_DEPTH} embedded objects`);
  const env = readEnvelope(body);
  const slash = env.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : env.apiVersion.slice(0, slash);
  const version = slash < 0 ? env.apiVersion : env.apiVersion.slice(slash + 1);
  if (!version) throw badRequest(`the protobuf envelope of the request body names kind ${env.kind} without an apiVersion`);
  // meta/v1 kinds (DeleteOptions) are accepted in any group version, including meta.k8s.io/v1.
  const node = schemas.forKind(group, version, env.kind) ?? schemas.definition(`${META_PACKAGE}.${env.kind}`);
  if (!node?.ref) {
    throw badRequest(`k8ts cannot decode ${env.kind} (${env.apiVersion}) from protobuf: no such kind is served; send the object as JSON instead`);
  }
  const object = decodeMessage(env.raw, node.ref, node, {
    fields: fieldIndex(),
    nested: (raw) => decodeAt(raw, schemas, depth + 1),
  });
  return { apiVersion: env.apiVersion, kind: env.kind, ...object };
}
