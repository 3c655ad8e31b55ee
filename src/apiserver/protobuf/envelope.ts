// The frame around every Kubernetes protobuf object: the four bytes "k8s\0",
// then a runtime.Unknown message whose TypeMeta names the kind and whose raw
// bytes are the object's own message (which carries no apiVersion or kind).

import { badRequest } from '../../api/errors.js';
import { WIRE_LEN, WireError, WireReader, isZeroWireValue, type WireField } from './wire.js';

export const MAGIC = Buffer.from('k8s\x00', 'latin1');

export interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Buffer;
}

// runtime.Unknown and runtime.TypeMeta field numbers.
const UNKNOWN_TYPE_META = 1;
const UNKNOWN_RAW = 2;
const UNKNOWN_CONTENT_ENCODING = 3;
const UNKNOWN_CONTENT_TYPE = 4;
const TYPE_META_API_VERSION = 1;
const TYPE_META_KIND = 2;

function lenField(f: WireField, what: string): Buffer {
  if (f.wire !== WIRE_LEN) throw new WireError(`${what} (field ${f.field}) is not length-delimited`);
  return f.value;
}

export function hasMagic(body: Buffer): boolean {
  return body.length >= MAGIC.length && body.subarray(0, MAGIC.length).equals(MAGIC);
}

export function readEnvelope(body: Buffer): Envelope {
  if (!hasMagic(body)) {
    throw badRequest('the request body is not Kubernetes protobuf: it does not start with the bytes "k8s\\x00"');
  }
  const env: Envelope = { apiVersion: '', kind: '', raw: Buffer.alloc(0) };
  try {
    for (const f of WireReader.fields(body.subarray(MAGIC.length))) {
      switch (f.field) {
        case UNKNOWN_TYPE_META:
          for (const t of WireReader.fields(lenField(f, 'typeMeta'))) {
            if (t.field === TYPE_META_API_VERSION) env.apiVersion = lenField(t, 'typeMeta.apiVersion').toString('utf8');
            else if (t.field === TYPE_META_KIND) env.kind = lenField(t, 'typeMeta.kind').toString('utf8');
          }
          break;
        case UNKNOWN_RAW:
          env.raw = lenField(f, 'raw');
          break;
        case UNKNOWN_CONTENT_ENCODING:
        case UNKNOWN_CONTENT_TYPE: {
          // Upstream's serializer writes both empty; anything else (gzip, a nested JSON object) it would not produce.
          const value = lenField(f, f.field === UNKNOWN_CONTENT_ENCODING ? 'contentEncoding' : 'contentType').toString('utf8');
          if (value !== '') {
            throw badRequest(`the protobuf envelope declares ${f.field === UNKNOWN_CONTENT_ENCODING ? 'content encoding' : 'content type'} "${value}", which k8ts does not decode; send the object as JSON instead`);
          }
          break;
        }
        default:
          if (!isZeroWireValue(f)) throw new WireError(`unknown field ${f.field} in the runtime.Unknown envelope`);
      }
    }
  } catch (err) {
    if (err instanceof WireError) throw badRequest(`the protobuf envelope of the request body is malformed: ${err.message}`);
    throw err;
  }
  if (!env.kind) throw badRequest('the protobuf envelope of the request body does not name a kind (typeMeta.kind is empty)');
  return env;
}
