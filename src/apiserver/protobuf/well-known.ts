// Types whose protobuf message is not their JSON shape: Quantity and
// IntOrString travel as small messages but are JSON scalars; Time, MicroTime
// and Duration travel as numbers but are JSON strings; RawExtension and
// FieldsV1 wrap JSON bytes. Each reader returns the JSON value Go's
// MarshalJSON would write, or undefined where Go writes null (a zero time,
// an empty raw extension), which the caller then leaves out.

import { FIELDS_V1, INT_OR_STRING, MICRO_TIME, QUANTITY, RAW_EXTENSION, TIME } from '../../api/schema/special-types.js';
import { WIRE_LEN, WIRE_VARINT, WireError, WireReader, type WireField } from './wire.js';

export const DURATION = 'io.k8s.apimachinery.pkg.apis.meta.v1.Duration';

/** Decodes an embedded object that is itself Kubernetes protobuf (a RawExtension from a protobuf client). */
export type NestedDecoder = (raw: Buffer) => unknown;

type Reader = (msg: Buffer, nested: NestedDecoder) => unknown;

export const WELL_KNOWN: ReadonlyMap<string, Reader> = new Map<string, Reader>([
  [QUANTITY, (msg) => stringField(msg, 1, QUANTITY) ?? '0'],
  [INT_OR_STRING, readIntOrString],
  [TIME, (msg) => readTimestamp(msg, TIME, false)],
  [MICRO_TIME, (msg) => readTimestamp(msg, MICRO_TIME, true)],
  [DURATION, (msg) => goDuration(varintField(msg, 1, DURATION) ?? 0n)],
  [RAW_EXTENSION, readRawExtension],
  [FIELDS_V1, (msg) => jsonBytes(bytesField(msg, 1, FIELDS_V1), FIELDS_V1)],
]);

function expectWire(f: WireField, wire: number, type: string): void {
  if (f.wire !== wire) throw new WireError(`field ${f.field} of ${type} has the wrong wire type ${f.wire}`);
}

/** The last occurrence wins, as in any proto decoder; unknown fields are refused. */
function only(msg: Buffer, type: string, known: readonly number[]): Map<number, WireField> {
  const out = new Map<number, WireField>();
  for (const f of WireReader.fields(msg)) {
    if (!known.includes(f.field)) throw new WireError(`unknown field ${f.field} in ${type}`);
    out.set(f.field, f);
  }
  return out;
}

function bytesField(msg: Buffer, n: number, type: string): Buffer | undefined {
  const f = only(msg, type, [n]).get(n);
  if (!f) return undefined;
  expectWire(f, WIRE_LEN, type);
  return f.value as Buffer;
}

function stringField(msg: Buffer, n: number, type: string): string | undefined {
  return bytesField(msg, n, type)?.toString('utf8');
}

function varintField(msg: Buffer, n: number, type: string): bigint | undefined {
  const f = only(msg, type, [n]).get(n);
  if (!f) return undefined;
  expectWire(f, WIRE_VARINT, type);
  return f.value as bigint;
}

function readIntOrString(msg: Buffer): number | string {
  const fields = only(msg, INT_OR_STRING, [1, 2, 3]);
  const num = (n: number): bigint => {
    const f = fields.get(n);
    if (!f) return 0n;
    expectWire(f, WIRE_VARINT, INT_OR_STRING);
    return f.value as bigint;
  };
  if (num(1) === 1n) {
    const s = fields.get(3);
    if (!s) return '';
    expectWire(s, WIRE_LEN, INT_OR_STRING);
    return (s.value as Buffer).toString('utf8');
  }
  return Number(BigInt.asIntN(32, num(2)));
}

/**
 * Upstream's Time.Unmarshal treats an empty message as the zero time (JSON
 * null) and drops the nanoseconds, since JSON Time has second precision;
 * MicroTime keeps them to the microsecond.
 */
function readTimestamp(msg: Buffer, type: string, micro: boolean): string | undefined {
  if (msg.length === 0) return undefined;
  const fields = only(msg, type, [1, 2]);
  const num = (n: number): bigint => {
    const f = fields.get(n);
    if (!f) return 0n;
    expectWire(f, WIRE_VARINT, type);
    return BigInt.asIntN(64, f.value as bigint);
  };
  const seconds = num(1);
  const nanos = micro ? BigInt.asIntN(32, num(2)) : 0n;
  return formatTime(seconds * 1_000_000_000n + nanos, micro);
}

/** RFC 3339 in UTC, as Go's time.Format with RFC3339 or RFC3339Micro writes it. */
export function formatTime(unixNanos: bigint, micro: boolean): string {
  const floorDiv = (a: bigint, b: bigint): bigint => (a % b < 0n ? a / b - 1n : a / b);
  const seconds = floorDiv(unixNanos, 1_000_000_000n);
  const iso = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  if (!micro) return `${iso}Z`;
  const micros = (unixNanos - seconds * 1_000_000_000n) / 1000n;
  return `${iso}.${micros.toString().padStart(6, '0')}Z`;
}

/** Go's time.Duration.String: "1h2m3.5s", "1.5ms", "0s". */
export function goDuration(raw: bigint): string {
  const nanos = BigInt.asIntN(64, raw);
  if (nanos === 0n) return '0s';
  const sign = nanos < 0n ? '-' : '';
  let u = nanos < 0n ? -nanos : nanos;
  const fraction = (v: bigint, unit: bigint, digits: number): string => {
    const whole = v / unit;
    const rest = v % unit;
    if (rest === 0n) return whole.toString();
    return `${whole}.${rest.toString().padStart(digits, '0').replace(/0+$/, '')}`;
  };
  if (u < 1000n) return `${sign}${u}ns`;
  if (u < 1_000_000n) return `${sign}${fraction(u, 1000n, 3)}µs`;
  if (u < 1_000_000_000n) return `${sign}${fraction(u, 1_000_000n, 6)}ms`;
  const hours = u / 3_600_000_000_000n;
  u %= 3_600_000_000_000n;
  const minutes = u / 60_000_000_000n;
  u %= 60_000_000_000n;
  const secs = `${fraction(u, 1_000_000_000n, 9)}s`;
  if (hours > 0n) return `${sign}${hours}h${minutes}m${secs}`;
  if (minutes > 0n) return `${sign}${minutes}m${secs}`;
  return `${sign}${secs}`;
}

const MAGIC = Buffer.from('k8s\x00', 'latin1');

/** An embedded object: JSON bytes from most clients, a protobuf envelope from a protobuf one. */
function readRawExtension(msg: Buffer, nested: NestedDecoder): unknown {
  const raw = bytesField(msg, 1, RAW_EXTENSION);
  if (raw && raw.subarray(0, 4).equals(MAGIC)) return nested(raw);
  return jsonBytes(raw, RAW_EXTENSION);
}

function jsonBytes(raw: Buffer | undefined, type: string): unknown {
  if (!raw || raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new WireError(`${type} does not hold valid JSON: ${(err as Error).message}`);
  }
}
