// Durability: a writer killed with SIGKILL at a random moment loses no write
// it acknowledged, and the database opens cleanly afterwards.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/storage/sqlite/store.js';

// Run the child the way this file runs: compiled .js, or .ts under tsx.
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const writer = fileURLToPath(new URL(`./crash-writer${ext}`, import.meta.url));

interface Acked {
  created: string[];
  counters: Map<string, number>;
}

/** Run the writer until it has acknowledged `after` lines, then SIGKILL it. */
function runAndKill(path: string, round: number, after: number, synchronous: string): Promise<Acked> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, writer, path, String(round), synchronous], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, K8TS_LOG_LEVEL: 'error' },
    });
    const acked: Acked = { created: [], counters: new Map() };
    let lines = 0;
    let buffered = '';
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        const [kind, key, value] = line.split(' ');
        if (kind === 'c') acked.created.push(key);
        else if (kind === 'u') acked.counters.set(key, Number(value));
        lines++;
      }
      if (!killed && lines >= after) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own (${code}): ${stderr}`));
      // A line only counts when it arrived whole: the newline came after the ack.
      else resolve(acked);
    });
  });
}

for (const synchronous of ['NORMAL', 'FULL']) {
  test(`SIGKILL during writes loses no acknowledged write (synchronous=${synchronous})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-crash-'));
    const path = join(dir, 'state.db');
    try {
      const everCreated: string[] = [];
      for (let round = 0; round < 3; round++) {
        const after = 100 + Math.floor(Math.random() * 3000);
        const acked = await runAndKill(path, round, after, synchronous);
        everCreated.push(...acked.created);
        assert.ok(acked.created.length > 0);

        const db = new Database(path);
        try {
          assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
        } finally {
          db.close();
        }
        const store = new SqliteStore({ path, compactWindowSeconds: 0 });
        try {
          const present = new Set((await store.list('/registry/crash/')).items.map((i) => i.key));
          const missing = everCreated.filter((k) => !present.has(k));
          assert.deepEqual(missing, [], `round ${round}: acknowledged keys lost after SIGKILL`);
          for (const [key, value] of acked.counters) {
            const got = await store.get(key);
            assert.ok(got && Number(got.value) >= value, `${key} went back from ${value} to ${got?.value}`);
          }
          // Revisions carry on from where the killed writer stopped.
          const rev = await store.currentRevision();
          const next = await store.create(`/registry/crash/after-${round}`, 'x');
          assert.equal(next.modRevision, rev + 1);
          await store.delete(`/registry/crash/after-${round}`);
        } finally {
          await store.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
