import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { acceptRemoteCommand, type RemoteStreams } from '../../../src/kubelet/streaming/remotecommand.js';
import { logger } from '../../../src/util/log.js';

// A window change followed by keys, sent in that order on one connection, reaches the process in that
// order even when the runtime takes a while to apply the size (Docker resizes by a separate HTTP call).

const SLOW_RESIZE_MS = 150;

async function session(): Promise<{ client: WebSocket; streams: RemoteStreams; close(): Promise<void> }> {
  let resolveStreams!: (s: RemoteStreams) => void;
  const got = new Promise<RemoteStreams>((r) => (resolveStreams = r));
  const server = createServer();
  server.on('upgrade', (req, socket, head) => {
    void acceptRemoteCommand(req, socket, head, { stdin: true, stdout: true, stderr: false, tty: true, command: ['sh'] }, logger('test')).then((s) => s && resolveStreams(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/exec`, ['v5.channel.k8s.io']);
  await new Promise((r, j) => client.once('open', r).once('error', j));
  const streams = await got;
  return {
    client,
    streams,
    async close() {
      await streams.finish({ status: 'Success' });
      client.terminate();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const frame = (channel: number, text: string): Buffer => Buffer.concat([Buffer.from([channel]), Buffer.from(text)]);

test('keys typed after a resize reach stdin only once the runtime has applied the size', async () => {
  const s = await session();
  try {
    const seen: string[] = [];
    // The runtime's resize loop: it asks for the next size only after applying the last one.
    void (async () => {
      for await (const size of s.streams.resize!) {
        seen.push(`resize ${size.width}x${size.height}`);
        await sleep(SLOW_RESIZE_MS);
        seen.push('applied');
      }
    })();
    s.streams.stdin!.on('data', (d: Buffer) => seen.push(`stdin ${d.toString()}`));
    s.client.send(frame(0, 'before'));
    await until(() => seen.includes('stdin before'));
    s.client.send(frame(4, '{"Width":100,"Height":30}'));
    s.client.send(frame(0, 'stty size'));
    s.client.send(frame(0, '\r'));
    await until(() => seen.includes('stdin \r'));
    assert.deepEqual(seen, ['stdin before', 'resize 100x30', 'applied', 'stdin stty size', 'stdin \r']);
  } finally {
    await s.close();
  }
});

test('stdin is not held when nobody applies sizes, and its end comes after the held keys', async () => {
  const s = await session();
  try {
    const seen: string[] = [];
    let ended = false;
    s.streams.stdin!.on('data', (d: Buffer) => seen.push(d.toString()));
    s.streams.stdin!.on('end', () => (ended = true));
    // No resize loop runs: a size the runtime never reads must not hold the keys.
    s.client.send(frame(4, '{"Width":90,"Height":20}'));
    s.client.send(frame(0, 'a'));
    await until(() => seen.includes('a'));
    const loop = (async () => {
      for await (const _ of s.streams.resize!) await sleep(SLOW_RESIZE_MS);
    })();
    await sleep(10);
    s.client.send(frame(4, '{"Width":80,"Height":24}'));
    s.client.send(frame(0, 'b'));
    s.client.send(Buffer.from([255, 0]));
    await until(() => ended);
    assert.deepEqual(seen, ['a', 'b']);
    void loop;
  } finally {
    await s.close();
  }
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !cond(); i++) await sleep(5);
  assert.ok(cond(), 'condition not reached within 5 s');
}
