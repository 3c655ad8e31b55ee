import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// An idle kubelet (and so an idle `k8ts server`) should not hold the code of
// features it has not used yet: the WebSocket and SPDY transports of exec,
// attach and port-forward and the pseudo-terminal addon of tty exec are loaded
// by their first request (about 3.5 MB of heap together). Checked in a fresh
// process: which packages does importing the kubelet and the exec runtime load?

const dist = (p: string): string => fileURLToPath(new URL(`../../src/${p}`, import.meta.url));

function packagesLoadedBy(modules: string[]): string[] {
  const script = `
    import { createRequire } from 'node:module';
    ${modules.map((m, i) => `await import(${JSON.stringify(m)}); void ${i};`).join('\n')}
    const cache = createRequire(import.meta.url).cache;
    const pkgs = new Set(Object.keys(cache).map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\/(.*)$/.exec(f)).filter(Boolean).map((m) => m[1] + ':' + m[2]));
    console.log(JSON.stringify([...pkgs]));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 })) as string[];
}

test('importing the kubelet and the exec runtime loads neither ws, the spdy-transport package, nor node-pty', () => {
  const loaded = packagesLoadedBy([dist('kubelet/kubelet.js'), dist('runtime/exec/index.js')]);
  assert.ok(loaded.length > 0, 'the check sees CommonJS packages loaded through import');
  assert.deepEqual(loaded.filter((p) => p.startsWith('ws:')), []);
  assert.deepEqual(loaded.filter((p) => p.startsWith('node-pty:')), []);
  // Only the SPDY/3 header dictionary, not the package's transport.
  assert.deepEqual(loaded.filter((p) => p.startsWith('spdy-transport:')), []);
});

test('the streaming protocol modules still load their transports when imported', () => {
  const loaded = packagesLoadedBy([dist('kubelet/streaming/remotecommand.js')]);
  assert.ok(loaded.some((p) => p.startsWith('ws:')));
  assert.ok(loaded.includes('spdy-transport:lib/spdy-transport/protocol/spdy/dictionary.js'));
});
