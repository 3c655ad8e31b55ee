import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCEPT_DESCRIPTORS, widenAccept } from '../../src/apiserver/http/accept-wide.js';

// Node 20 takes one connection off a listening descriptor per event-loop
// turn, so a busy server accepted a handful a second. The server's socket is
// now watched through several descriptors: after a turn blocked with many
// connections waiting, the next turn accepts one per descriptor.

async function listening(onConnection: (s: net.Socket) => void): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer(onConnection);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port };
}

test('connections on every copy of the listen socket reach the server, and closing releases the port', async () => {
  let served = 0;
  const { server, port } = await listening((s) => {
    served++;
    s.end('ok');
  });
  const wide = widenAccept(server);
  assert.equal(await wide.ready, ACCEPT_DESCRIPTORS - 1);
  const replies = await Promise.all(
    Array.from(
      { length: 40 },
      () =>
        new Promise<string>((resolve, reject) => {
          let text = '';
          net
            .connect(port, '127.0.0.1')
            .on('data', (d) => (text += String(d)))
            .on('end', () => resolve(text))
            .on('error', reject);
        }),
    ),
  );
  assert.deepEqual(new Set(replies), new Set(['ok']));
  assert.equal(served, 40);
  wide.close();
  await new Promise<void>((r) => server.close(() => r()));
  const refused = await new Promise<string>((resolve) => {
    net
      .connect(port, '127.0.0.1')
      .on('connect', () => resolve('connected'))
      .on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
  assert.equal(refused, 'ECONNREFUSED', 'no copy of the socket is left listening');
});

test('after a blocked turn with connections waiting, one turn accepts more than one', async (t) => {
  const held: net.Socket[] = [];
  const { server, port } = await listening((s) => void held.push(s));
  const wide = widenAccept(server);
  t.after(async () => {
    wide.close();
    for (const s of held) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  await wide.ready;
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-accept-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const flag = join(dir, 'connected');
  // Another process connects while this one is blocked, and says so with a file once the kernel has them all.
  const client = spawn(process.execPath, [
    '-e',
    `const net = require('net'), fs = require('fs'); let n = 0;
     for (let i = 0; i < 20; i++) net.connect(${port}, '127.0.0.1').on('connect', () => { if (++n === 20) fs.writeFileSync(${JSON.stringify(flag)}, ''); }).on('error', () => {});
     setTimeout(() => process.exit(0), 30000);`,
  ]);
  t.after(() => client.kill());
  const until = Date.now() + 20_000;
  while (!existsSync(flag) && Date.now() < until);
  assert.ok(existsSync(flag), 'the client connected');
  // Between two check callbacks the loop polls once: what it accepted then is what one turn takes.
  const oneTurn = await new Promise<number>((r) =>
    setImmediate(() => {
      const before = held.length;
      setImmediate(() => r(held.length - before));
    }),
  );
  assert.ok(oneTurn > 1, `one turn accepted ${oneTurn} connection(s)`);
  assert.ok(oneTurn <= ACCEPT_DESCRIPTORS, `one turn accepted ${oneTurn}`);
});
