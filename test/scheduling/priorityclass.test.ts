import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';

// PriorityClasses and the Priority admission plugin, through the real kubectl
// against a secure API server (admission runs there).

const pod = (name: string, extra = '') => `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: default }
spec:
  automountServiceAccountToken: false
${extra}
  containers: [{ name: c, image: busybox }]
`;

const pc = (name: string, value: number, extra = '') => `apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: { name: ${name} }
value: ${value}
${extra}
`;

describe('PriorityClass and Priority admission', () => {
  let s: TestServer;
  const k = (args: string[], input?: string) => kubectlOk(s.kubeconfig, args, { input });
  const kRaw = (args: string[], input?: string) => kubectl(s.kubeconfig, args, { input });
  const podSpec = async (name: string) => JSON.parse(await k(['get', 'pod', name, '-o', 'json'])).spec as { priority?: number; priorityClassName?: string; preemptionPolicy?: string };

  before(async () => {
    s = await startTestServer({ secure: true });
    // No controller manager: the ServiceAccount admission wants the default account to exist.
    await k(['create', 'serviceaccount', 'default']).catch(() => undefined);
  });
  after(async () => {
    await s?.close();
  });

  test('the two system classes exist from the start, with upstream columns', async () => {
    const out = await k(['get', 'priorityclasses']);
    assert.match(out.split('\n')[0]!, /^NAME\s+VALUE\s+GLOBAL-DEFAULT\s+AGE\s+PREEMPTIONPOLICY$/);
    assert.match(out, /\nsystem-cluster-critical\s+2000000000\s+false\s+\S+\s+PreemptLowerPriority/);
    assert.match(out, /\nsystem-node-critical\s+2000001000\s+false\s+\S+\s+PreemptLowerPriority/);
  });

  test('validation: reserved prefix, value range, immutable value', async () => {
    const sys = await kRaw(['create', '-f', '-'], pc('system-foo', 5));
    assert.match(sys.stderr, /metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-foo is not a known system priority class/);
    const big = await kRaw(['create', '-f', '-'], pc('huge', 1_000_000_001));
    assert.match(big.stderr, /value: Forbidden: maximum allowed value of a user defined priority is 1000000000/);
    await k(['create', '-f', '-'], pc('high', 1000, 'description: important'));
    const upd = await kRaw(['patch', 'pc', 'high', '--type=merge', '-p', '{"value":7}']);
    assert.match(upd.stderr, /value: Forbidden: may not be changed in an update\./);
    const pol = await kRaw(['create', '-f', '-'], pc('pol', 1, 'preemptionPolicy: Sometimes'));
    assert.match(pol.stderr, /preemptionPolicy: Unsupported value: "Sometimes": supported values: "Never", "PreemptLowerPriority"/);
  });

  test('admission resolves the class into priority and preemptionPolicy, refuses unknown classes', async () => {
    await k(['create', '-f', '-'], pc('never', 500, 'preemptionPolicy: Never'));
    await k(['create', '-f', '-'], pod('p-high', '  priorityClassName: high'));
    assert.deepEqual(await podSpec('p-high'), { ...(await podSpec('p-high')), priority: 1000, preemptionPolicy: 'PreemptLowerPriority' });
    await k(['create', '-f', '-'], pod('p-never', '  priorityClassName: never'));
    const n = await podSpec('p-never');
    assert.equal(n.priority, 500);
    assert.equal(n.preemptionPolicy, 'Never');
    await k(['create', '-f', '-'], pod('p-crit', '  priorityClassName: system-node-critical'));
    assert.equal((await podSpec('p-crit')).priority, 2000001000);
    const plain = await podSpec((await k(['create', '-f', '-', '-o', 'name'], pod('p-plain'))).trim().replace('pod/', ''));
    assert.equal(plain.priority, 0);
    const unknown = await kRaw(['create', '-f', '-'], pod('p-nope', '  priorityClassName: nope'));
    assert.match(unknown.stderr, /pods "p-nope" is forbidden: no PriorityClass with name nope was found/);
    const mismatch = await kRaw(['create', '-f', '-'], pod('p-mis', '  priorityClassName: high\n  priority: 5'));
    assert.match(mismatch.stderr, /the integer value of priority \(5\) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name/);
  });

  test('one global default, used for pods that name no class', async () => {
    await k(['create', '-f', '-'], pc('dflt', 10, 'globalDefault: true'));
    const second = await kRaw(['create', '-f', '-'], pc('dflt2', 20, 'globalDefault: true'));
    assert.match(second.stderr, /priorityclasses.scheduling.k8s.io "dflt2" is forbidden: PriorityClass dflt is already marked as default. Only one default can exist/);
    await k(['create', '-f', '-'], pod('p-default'));
    const spec = await podSpec('p-default');
    assert.equal(spec.priorityClassName, 'dflt');
    assert.equal(spec.priority, 10);
    assert.match(await k(['get', 'pc', 'dflt']), /\ndflt\s+10\s+true\s+/);
  });
});
