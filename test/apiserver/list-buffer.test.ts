import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { LIST_BUFFER_BYTES, writeJsonList } from '../../src/apiserver/http/respond.js';
import type { JsonListBody } from '../../src/apiserver/registry/resource-store.js';

// When a big list waits for its socket. As with a watch, a 'drain' comes a
// whole event-loop turn after a write at the earliest: a list that waited
// each time the stream passed its 16 KiB mark took some 25 turns for a page
// of 500 pods, seconds on a busy server. The response is a stand-in that
// reports whatever backlog the test says, so the policy is checked without
// depending on how much the kernel buffers.

class FakeResponse extends EventEmitter {
  /** What the stream reports as queued; write() answers false past 16 KiB, as a real one does. */
  backlog = 0;
  destroyed = false;
  written: string[] = [];
  ended = false;
  writeHead(): this {
    return this;
  }
  write(chunk: string): boolean {
    this.written.push(chunk);
    this.backlog += chunk.length;
    return this.backlog < 16 * 1024;
  }
  get writableLength(): number {
    return this.backlog;
  }
  end(chunk?: string): void {
    if (chunk) this.written.push(chunk);
    this.ended = true;
  }
}

function podList(count: number): JsonListBody {
  const item = (i: number): string => JSON.stringify({ metadata: { name: `pod-${i}`, namespace: 'default' }, spec: { padding: 'x'.repeat(2000) } });
  return { head: '{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[', count, item, tail: ']}' };
}

test('a big list keeps writing past the stream mark and waits for drain only past its buffer (1 MiB), then finishes whole', async () => {
  const res = new FakeResponse();
  // About 4 MiB of items: more than the buffer, so it must wait once at least.
  const count = 2000;
  const done = writeJsonList(res as never, 200, podList(count));
  await new Promise((r) => setImmediate(r));
  assert.equal(res.ended, false, 'the list waited for the socket at some point');
  assert.ok(res.backlog > LIST_BUFFER_BYTES, `waited at a backlog of only ${res.backlog} bytes`);
  assert.ok(res.backlog <= LIST_BUFFER_BYTES + 80 * 1024, `went on to a backlog of ${res.backlog} bytes before waiting`);
  // Each drain lets another buffer's worth out, until the list is complete.
  let drains = 0;
  while (!res.ended) {
    res.backlog = 0;
    res.emit('drain');
    drains++;
    await new Promise((r) => setImmediate(r));
    assert.ok(drains < 10, 'the list did not finish');
  }
  await done;
  assert.ok(drains <= 4, `${drains} waits for about 4 MiB`);
  const parsed = JSON.parse(res.written.join('')) as { items: { metadata: { name: string } }[] };
  assert.equal(parsed.items.length, count);
  assert.equal(parsed.items[count - 1]!.metadata.name, `pod-${count - 1}`);
});

test('a list whose client goes away while it waits stops writing', async () => {
  const res = new FakeResponse();
  const done = writeJsonList(res as never, 200, podList(2000));
  await new Promise((r) => setImmediate(r));
  const before = res.written.length;
  res.destroyed = true;
  res.emit('close');
  await done;
  assert.equal(res.written.length, before);
  assert.equal(res.ended, false);
});
