import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { handleWatch } from '../../src/apiserver/handlers/watch.js';
import type { RequestContext } from '../../src/apiserver/handlers/context.js';
import type { KubeObject } from '../../src/api/types.js';

// When a watch waits for its socket. A 'drain' comes a whole event-loop turn
// after a write at the earliest, and a busy server's turns are long: a watch
// that waited each time the stream passed its 16 KiB mark was held to a few
// hundred KB a second, below what 1,000 Lease renewals a second make. The
// response here is a stand-in that reports whatever backlog the test says,
// so the policy is checked without depending on how much the kernel buffers.

type Emit = (type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK', obj: KubeObject) => void | Promise<void>;

class FakeResponse extends EventEmitter {
  /** What the stream reports as queued; write() answers false past 16 KiB, as a real one does. */
  backlog = 0;
  socket = null;
  destroyed = false;
  writeHead(): this {
    return this;
  }
  flushHeaders(): void {}
  write(chunk: string): boolean {
    this.backlog += chunk.length;
    return this.backlog < 16 * 1024;
  }
  get writableLength(): number {
    return this.backlog;
  }
  end(): void {}
}

async function openWatch(res: FakeResponse, req: EventEmitter): Promise<Emit> {
  let emit: Emit | undefined;
  const ctx = {
    req,
    res,
    rr: { verb: 'watch' },
    info: { namespaced: true },
    query: new URLSearchParams('watch=true'),
    output: { kind: 'json' },
    store: {
      selectableFieldNames: [],
      watch: async (_p: unknown, onEvent: Emit) => {
        emit = onEvent;
        return { stop() {} };
      },
    },
  } as unknown as RequestContext;
  await handleWatch(ctx);
  assert.ok(emit, 'the handler opened a store watch');
  return emit;
}

const lease = (i: number): KubeObject => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: `node-${i}`, namespace: 'kube-node-lease', resourceVersion: String(i) },
  spec: { holderIdentity: `node-${i}`, renewTime: '2026-11-28T12:00:00.000000Z', padding: 'x'.repeat(800) },
} as KubeObject);

test('a watch keeps writing past the stream mark and waits for drain only past its buffer (4 MiB)', async () => {
  const res = new FakeResponse();
  const req = new EventEmitter();
  const emit = await openWatch(res, req);
  // The client going away ends the watch and its timeout.
  after(() => req.emit('close'));
  let i = 0;
  // 2 MiB of events with nothing drained: far past 16 KiB, under the buffer; none of them waits.
  while (res.backlog < 2 << 20) assert.equal(emit('MODIFIED', lease(i++)), undefined, `event ${i} waited at a backlog of ${res.backlog} bytes`);
  // Past 4 MiB the next event waits for the socket...
  let waited: void | Promise<void> = undefined;
  while (waited === undefined) {
    assert.ok(res.backlog <= (4 << 20) + 2048, `no wait at a backlog of ${res.backlog} bytes`);
    waited = emit('MODIFIED', lease(i++));
  }
  assert.ok(res.backlog > 4 << 20, `waited at a backlog of only ${res.backlog} bytes`);
  // ...and goes on once it drains.
  let resumed = false;
  void waited.then(() => (resumed = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(resumed, false);
  res.backlog = 0;
  res.emit('drain');
  await waited;
  assert.equal(emit('MODIFIED', lease(i++)), undefined);
});
