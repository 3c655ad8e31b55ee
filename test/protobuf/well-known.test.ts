import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTime, goDuration } from '../../src/apiserver/protobuf/well-known.js';
import { WireReader, isZeroWireValue } from '../../src/apiserver/protobuf/wire.js';
import { PB } from './proto-writer.js';

test('goDuration writes what Go time.Duration.String writes', () => {
  const cases: [bigint, string][] = [
    [0n, '0s'],
    [1n, '1ns'],
    [1_500n, '1.5µs'],
    [2_000_000n, '2ms'],
    [1_250_000n, '1.25ms'],
    [1_000_000_000n, '1s'],
    [90_000_000_000n, '1m30s'],
    [3_600_000_000_000n, '1h0m0s'],
    [3_723_500_000_000n, '1h2m3.5s'],
    [-1_500_000_000n, '-1.5s'],
  ];
  for (const [nanos, want] of cases) assert.equal(goDuration(nanos), want, `${nanos}ns`);
});

test('formatTime: RFC 3339 in UTC, seconds or microseconds, before 1970 too', () => {
  assert.equal(formatTime(1_704_067_200_000_000_000n, false), '2024-01-01T00:00:00Z');
  assert.equal(formatTime(1_704_067_200_123_456_789n, true), '2024-01-01T00:00:00.123456Z');
  assert.equal(formatTime(0n, true), '1970-01-01T00:00:00.000000Z');
  assert.equal(formatTime(-1n, true), '1969-12-31T23:59:59.999999Z');
  assert.equal(formatTime(-1_000_000_000n, false), '1969-12-31T23:59:59Z');
});

test('WireReader reads every wire type and refuses truncation', () => {
  const buf = new PB().varint(1, -1).double(2, 1.5).string(3, 'hi').raw(Buffer.from([0x25, 1, 0, 0, 0])).finish();
  const fields = WireReader.fields(buf);
  assert.deepEqual(fields.map((f) => [f.field, f.wire]), [[1, 0], [2, 1], [3, 2], [4, 5]]);
  assert.equal(fields[0]!.value, 2n ** 64n - 1n);
  assert.equal((fields[1]!.value as Buffer).readDoubleLE(0), 1.5);
  assert.equal(isZeroWireValue(fields[3]!), false);
  assert.throws(() => WireReader.fields(Buffer.from([0x1a, 0x05, 0x61])), /declares 5 bytes, more than the message holds/);
  assert.throws(() => WireReader.fields(Buffer.from([0x1a, 0x03, 0x61, 0x62])), /runs past the end/);
  assert.throws(() => WireReader.fields(Buffer.from([0x08, 0x80])), /truncated varint/);
  assert.throws(() => WireReader.fields(Buffer.from([0x0b])), /unsupported wire type 3/);
  assert.throws(() => WireReader.fields(Buffer.from([0x00])), /invalid field number 0/);
});
