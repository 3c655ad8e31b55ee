// Byte-level pieces: docker's stream multiplexing, log formatting, the
// `since` parameter, the tar writer and the static-ELF check. No daemon needed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Demuxer, frame, type StreamName } from '../../../src/runtime/docker/demux.js';
import { LogFormatter, sinceParam } from '../../../src/runtime/docker/logs.js';
import { isStaticElf } from '../../../src/runtime/pause/elf.js';
import { tar } from '../../../src/runtime/pause/tar.js';

describe('demultiplexing', () => {
  test('frames split and glued across chunks', () => {
    const got: [StreamName, string][] = [];
    const d = new Demuxer((s, p) => got.push([s, p.toString()]));
    const bytes = Buffer.concat([frame('stdout', 'hello\n'), frame('stderr', 'oops\n'), frame('stdout', '')]);
    for (let i = 0; i < bytes.length; i += 3) d.push(bytes.subarray(i, i + 3));
    assert.deepEqual(got, [
      ['stdout', 'hello\n'],
      ['stderr', 'oops\n'],
      ['stdout', ''],
    ]);
    assert.equal(d.leftover, 0);
  });
});

describe('log formatting', () => {
  test('timestamps and stream names prefix each line; continuations get none', () => {
    const f = new LogFormatter(true);
    const ts = '2024-01-01T00:00:00.000000001Z';
    assert.equal(f.entry('stdout', Buffer.from(`${ts} a\n`)).toString(), `${ts} stdout a\n`);
    assert.equal(f.entry('stderr', Buffer.from(`${ts} part`)).toString(), `${ts} stderr part`);
    assert.equal(f.entry('stderr', Buffer.from(`${ts} -rest\n`)).toString(), '-rest\n');
    assert.equal(f.entry('stderr', Buffer.from(`${ts} next\n`)).toString(), `${ts} stderr next\n`);
  });

  test('without timestamps the text passes unchanged', () => {
    assert.equal(new LogFormatter(false).entry('stdout', Buffer.from('x y\n')).toString(), 'x y\n');
  });

  test('since is seconds with nanoseconds', () => {
    assert.equal(sinceParam(1_700_000_000_123), '1700000000.123000000');
    assert.equal(sinceParam(5_000), '5.000000000');
  });
});

describe('tar writer', () => {
  test('tar(1) lists what was written', { skip: existsSync('/usr/bin/tar') || existsSync('/bin/tar') ? false : 'no tar(1)' }, () => {
    const longDir = `deep/${'d'.repeat(90)}`;
    const archive = tar([
      { type: 'dir', path: 'bin' },
      { type: 'file', path: 'bin/tool', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
      { type: 'symlink', path: 'bin/alias', target: '/bin/tool' },
      { type: 'dir', path: longDir },
      { type: 'file', path: `${longDir}/file-with-a-long-name`, data: Buffer.alloc(1000, 1) },
    ]);
    assert.equal(archive.length % 512, 0);
    const listed = spawnSync('tar', ['-tvf', '-'], { input: archive, encoding: 'utf8' });
    assert.equal(listed.status, 0, listed.stderr);
    const lines = listed.stdout.trim().split('\n');
    assert.equal(lines.length, 5);
    assert.match(lines[1], /^-rwxr-xr-x root\/root\s+10 .* bin\/tool$/);
    assert.match(lines[2], /^lrwxrwxrwx .* bin\/alias -> \/bin\/tool$/);
    assert.match(lines[4], new RegExp(`1000 .* ${longDir}/file-with-a-long-name$`));
  });
});

describe('static ELF check', () => {
  test('node is dynamic; a missing file is not static', async () => {
    assert.equal(await isStaticElf(process.execPath), false);
    assert.equal(await isStaticElf('/no/such/file'), false);
  });

  test('busybox-static is static', { skip: existsSync('/bin/busybox') ? false : 'no /bin/busybox' }, async () => {
    assert.equal(await isStaticElf('/bin/busybox'), true);
  });
});
