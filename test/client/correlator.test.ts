import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/client/clock.js';
import { EventCorrelator, eventNameNanos, spamKeyBySourceObject } from '../../src/client/events/correlator.js';
import type { CoreEvent } from '../../src/client/events/types.js';
import { nowTimestamp } from '../../src/api/types.js';

function ev(clock: FakeClock, message: string, reason = 'Started', name = `web.${eventNameNanos(clock.now()).toString(16)}`): CoreEvent {
  const ts = nowTimestamp(new Date(clock.now()));
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid: 'u1', apiVersion: 'v1' },
    reason,
    message,
    source: { component: 'kubelet', host: 'node1' },
    firstTimestamp: ts,
    lastTimestamp: ts,
    count: 1,
    type: 'Normal',
    reportingComponent: 'kubelet',
    reportingInstance: 'node1',
  };
}

test('an exact repeat becomes a patch of the first event: same name, count+1, firstTimestamp kept', () => {
  const clock = new FakeClock();
  const c = new EventCorrelator({ clock });
  const first = c.correlate(ev(clock, 'hello'));
  assert.equal(first.skip, false);
  assert.equal(first.patch, undefined);
  const firstName = first.event.metadata.name;
  // the server echoes the event with a resourceVersion
  c.updateState({ ...first.event, metadata: { ...first.event.metadata, resourceVersion: '42' } });

  clock.step(5000);
  const second = c.correlate(ev(clock, 'hello'));
  assert.equal(second.event.metadata.name, firstName);
  assert.equal(second.event.count, 2);
  assert.equal(second.event.firstTimestamp, first.event.firstTimestamp);
  assert.notEqual(second.event.lastTimestamp, first.event.lastTimestamp);
  assert.deepEqual(second.patch, { count: 2, lastTimestamp: second.event.lastTimestamp, message: 'hello' });

  clock.step(1000);
  const third = c.correlate(ev(clock, 'hello'));
  assert.equal(third.event.count, 3);
  assert.equal(third.patch?.count, 3);

  const other = c.correlate(ev(clock, 'different'));
  assert.equal(other.patch, undefined, 'a different message is a different event');
});

test('ten similar events (differing only in message) within 10 minutes are combined', () => {
  const clock = new FakeClock();
  const c = new EventCorrelator({ clock });
  const results = [];
  for (let i = 0; i < 12; i++) {
    results.push(c.correlate(ev(clock, `message ${i}`)));
    clock.step(1000);
  }
  for (let i = 0; i < 9; i++) assert.equal(results[i]!.event.message, `message ${i}`);
  const tenth = results[9]!;
  assert.equal(tenth.event.message, '(combined from similar events): message 9');
  assert.equal(tenth.event.count, 1);
  assert.equal(tenth.patch, undefined);
  assert.match(tenth.event.metadata.name!, /^web\.[0-9a-f]+$/);
  const eleventh = results[10]!;
  assert.equal(eleventh.event.message, '(combined from similar events): message 10');
  assert.equal(eleventh.event.metadata.name, tenth.event.metadata.name, 'further similar events update the aggregate');
  assert.equal(eleventh.event.count, 2);
  assert.equal(eleventh.patch?.count, 2);

  // after the interval passes quietly, aggregation starts over
  clock.step(601_000);
  const fresh = c.correlate(ev(clock, 'message fresh'));
  assert.equal(fresh.event.message, 'message fresh');
});

test('different reasons are aggregated separately', () => {
  const clock = new FakeClock();
  const c = new EventCorrelator({ clock });
  for (let i = 0; i < 9; i++) c.correlate(ev(clock, `m${i}`, 'A'));
  const r = c.correlate(ev(clock, 'm9', 'B'));
  assert.equal(r.event.message, 'm9');
});

test('spam filter: burst of 25, then one per 5 minutes', () => {
  const clock = new FakeClock();
  // per-object key, so distinct messages share one bucket; disable aggregation to isolate the filter
  const c = new EventCorrelator({ clock, spamKeyFunc: spamKeyBySourceObject, maxEvents: 1_000_000 });
  let written = 0;
  for (let i = 0; i < 30; i++) if (!c.correlate(ev(clock, `m${i}`)).skip) written++;
  assert.equal(written, 25);
  clock.step(299_000);
  assert.equal(c.correlate(ev(clock, 'late')).skip, true);
  clock.step(1_000);
  assert.equal(c.correlate(ev(clock, 'later')).skip, false);
  assert.equal(c.correlate(ev(clock, 'again')).skip, true);
});

test('default spam key throttles repeats of the same event', () => {
  const clock = new FakeClock();
  const c = new EventCorrelator({ clock });
  let written = 0;
  for (let i = 0; i < 40; i++) {
    const r = c.correlate(ev(clock, 'same'));
    if (!r.skip) {
      written++;
      c.updateState(r.event);
    }
  }
  assert.equal(written, 25);
  // a different reason about the same object is not throttled by those repeats
  assert.equal(c.correlate(ev(clock, 'same', 'Other')).skip, false);
});

test('eventNameNanos stays within the millisecond it was given, in nanoseconds as Go UnixNano', () => {
  for (const ms of [0, 1_700_000_000_000]) {
    const ns = eventNameNanos(ms);
    const floor = BigInt(ms) * 1_000_000n;
    assert.ok(ns >= floor && ns < floor + 1_000_000n, `${ns} outside [${floor}, ${floor + 1_000_000n})`);
  }
});
