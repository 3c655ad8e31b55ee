import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/storage/open.js';
import { startApiServer, type RunningApiServer } from '../../src/apiserver/server.js';
import type { Store } from '../../src/storage/interface.js';

// A watch client that stops reading must not make the server buffer its
// events without bound: the watch waits for the socket to drain and, once
// it is further behind than the watch cache's lag limit, ends with an ERROR
// event (410 Expired) so the client re-lists, as upstream's cacher closes a
// watcher that cannot keep up. Watchers that keep reading are unaffected.

const LAG_LIMIT = 30;
const WRITES = 120;
// ~256 KiB per object: a few of them fill the loopback socket buffers.
const BIG = 'x'.repeat(256 * 1024);

interface Line {
  type: string;
  object: { metadata?: { name?: string }; code?: number; reason?: string };
}

describe('watch backpressure', () => {
  let dir: string;
  let store: Store;
  let server: RunningApiServer;

  const post = async (name: string): Promise<number> => {
    const r = await fetch(`${server.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { big: BIG } }),
    });
    await r.text();
    return r.status;
  };

  /** Opens a watch; `paused` leaves the response unread until resume() is called. */
  const openWatch = (rv: string, paused: boolean) => {
    const lines: Line[] = [];
    let res: http.IncomingMessage | undefined;
    let onLine: (() => void) | undefined;
    const ended = new Promise<void>((resolve, reject) => {
      const req = http.get(`${server.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`, (r) => {
        res = r;
        if (paused) r.pause();
        let buf = '';
        r.setEncoding('utf8');
        r.on('data', (d: string) => {
          buf += d;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            lines.push(JSON.parse(buf.slice(0, i)) as Line);
            buf = buf.slice(i + 1);
            onLine?.();
          }
        });
        r.on('end', () => resolve());
        r.on('error', reject);
      });
      req.on('error', reject);
    });
    return {
      lines,
      ended,
      resume: () => res?.resume(),
      /** Resolves when test(lines) holds, or when the stream ends. */
      until: (test: (l: Line[]) => boolean) =>
        new Promise<void>((resolve) => {
          const check = () => {
            if (test(lines)) resolve();
          };
          onLine = check;
          void ended.then(() => resolve(), () => resolve());
          check();
        }),
      close: () => res?.destroy(),
    };
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8ts-test-'));
    store = await openStore({ kind: 'sqlite', path: join(dir, 'state.db'), cache: { lagLimit: LAG_LIMIT } });
    server = await startApiServer({ store, port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await server?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a watcher that stops reading is ended with 410 Expired; one that reads gets every event', async () => {
    const list = await (await fetch(`${server.url}/api/v1/namespaces/default/configmaps`)).json() as { metadata: { resourceVersion: string } };
    const rv = list.metadata.resourceVersion;
    const stuck = openWatch(rv, true);
    const reader = openWatch(rv, false);
    // Both watch from the list's resourceVersion, so both are owed every write below however soon they register.
    for (let i = 0; i < WRITES; i++) assert.equal(await post(`big-${i}`), 201);

    await reader.until((l) => l.length >= WRITES);
    assert.deepEqual(reader.lines.map((l) => `${l.type} ${l.object.metadata?.name}`), Array.from({ length: WRITES }, (_, i) => `ADDED big-${i}`));
    reader.close();

    // The server gave up on the stuck watch: once read, it ends with an ERROR event.
    stuck.resume();
    await stuck.until((l) => l.length >= WRITES || l.some((x) => x.type === 'ERROR'));
    stuck.close();
    const last = stuck.lines.at(-1)!;
    assert.equal(last.type, 'ERROR', `the stuck watch received ${stuck.lines.length} events and no ERROR`);
    assert.equal(last.object.code, 410);
    assert.equal(last.object.reason, 'Expired');
    const before = stuck.lines.slice(0, -1);
    assert.ok(before.length < WRITES, `the stuck watch received all ${before.length} events`);
    // What it did receive is a prefix of the stream, in order.
    assert.deepEqual(before.map((l) => `${l.type} ${l.object.metadata?.name}`), Array.from({ length: before.length }, (_, i) => `ADDED big-${i}`));

    // The server still serves watches afterwards.
    const again = openWatch(rv, false);
    await again.until((l) => l.length >= 1);
    assert.equal(again.lines[0]!.object.metadata?.name, 'big-0');
    again.close();
  });
});
