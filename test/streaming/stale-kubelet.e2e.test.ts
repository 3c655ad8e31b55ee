import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dockerSkip } from '../helpers/images.js';
import { kubectl } from '../helpers/kubectl.js';
import { eventually } from '../kubelet/harness.js';
import { startStreamingEnv } from './harness.js';

// The API server keeps a spare connection to each kubelet it streamed to. When
// the node behind it vanishes without closing it (here: the spare's packets
// dropped on arrival by an nftables rule, both ways, while new connections to
// the kubelet still get through), the next `kubectl exec` must not wait on it:
// it runs over a fresh connection.

const run = promisify(execFile);
const hasNft = await run('nft', ['--version']).then(
  () => true,
  () => false,
);
const skip = (await dockerSkip()) || (process.getuid?.() !== 0 ? 'needs root (an nftables rule on loopback)' : !hasNft && !process.env.CI ? 'no nft on PATH (with CI set this is a failure)' : false);

/** Local ports of the established connections to the kubelet's port: the API server's spare, once the sessions closed. */
async function connectionsTo(port: number): Promise<number[]> {
  const { stdout } = await run('ss', ['-Htn', 'state', 'established', `( dport = :${port} )`]);
  return [...stdout.matchAll(new RegExp(`127\\.0\\.0\\.1:(\\d+)\\s+127\\.0\\.0\\.1:${port}\\b`, 'g'))].map((m) => Number(m[1]));
}

test('kubectl exec does not hang on a spare kubelet connection whose peer went silent', { skip }, async () => {
  const env = await startStreamingEnv('docker');
  const kc = env.server.kubeconfig;
  const table = `k8ts_stale_spare_${process.pid}`;
  let tableMade = false;
  try {
    await env.runPod('quiet', [{ name: 'main', command: ['sleep', '3600'] }]);
    const first = await kubectl(kc, ['exec', 'quiet', '--', 'echo', 'first']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'first\n');
    const kubeletPort = env.kubelet.port;
    const [spare] = await eventually(async () => {
      const ports = await connectionsTo(kubeletPort);
      return ports.length === 1 ? ports : undefined;
    }, 'only the spare connection to the kubelet left');
    await run('nft', ['add', 'table', 'ip', table]);
    tableMade = true;
    await run('nft', ['add', 'chain', 'ip', table, 'input', '{ type filter hook input priority 0 ; }']);
    await run('nft', ['add', 'rule', 'ip', table, 'input', 'iif', 'lo', 'tcp', 'sport', String(spare), 'tcp', 'dport', String(kubeletPort), 'drop']);
    await run('nft', ['add', 'rule', 'ip', table, 'input', 'iif', 'lo', 'tcp', 'sport', String(kubeletPort), 'tcp', 'dport', String(spare), 'drop']);
    // Without the check, the upgrade request sits unacknowledged on the silent spare until kubectl's safety net kills it.
    const second = await kubectl(kc, ['exec', 'quiet', '--', 'echo', 'second']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, 'second\n');
  } finally {
    if (tableMade) await run('nft', ['delete', 'table', 'ip', table]);
    await env.close();
  }
});
