// A kubelet whose runtime cannot isolate pods says so on its Node: the exec
// runtime with host isolation (what it falls back to without root) reports
// PodIsolation=False through its CRI-style status, the kubelet turns it into
// a Node condition and a Warning event, and kubectl describe shows both.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createExecRuntime } from '../../src/runtime/exec/index.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { eventsFor, eventually, startEnv, NODES } from './harness.js';

test('node reports PodIsolation=False with a warning when the exec runtime runs pods as plain host processes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-isolation-'));
  const runtime = createExecRuntime({ rootDir: join(dir, 'runtime'), nodeName: 'node-iso', isolation: 'host' });
  const env = await startEnv({ runtime }, 'node-iso');
  try {
    const cond = await eventually(async () => {
      const node = await env.client.get<any>(NODES, undefined, 'node-iso').catch(() => undefined);
      return node?.status?.conditions?.find((c: any) => c.type === 'PodIsolation');
    });
    assert.equal(cond.status, 'False');
    assert.equal(cond.reason, 'NoPodIsolation');
    assert.equal(cond.message, runtime.isolationMessage());
    const node = await env.client.get<any>(NODES, undefined, 'node-iso');
    assert.equal(node.status.conditions.find((c: any) => c.type === 'Ready').status, 'True', 'pods still run: the node stays Ready');
    const warning = await eventually(async () => (await eventsFor(env.client, 'node-iso', 'Node')).find((e: any) => e.reason === 'NoPodIsolation'));
    assert.equal(warning.type, 'Warning');
    assert.equal(warning.message, runtime.isolationMessage());
    const desc = await kubectlOk(env.server.kubeconfig, ['describe', 'node', 'node-iso']);
    assert.match(desc, /PodIsolation\s+False .* NoPodIsolation\s+isolation host requested/);
    assert.match(desc, /Warning\s+NoPodIsolation/);
  } finally {
    await env.close();
    await runtime.close();
    await rm(dir, { recursive: true, force: true });
  }
});
