import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { etcdSkip, startEtcd, type EtcdProcess } from '../helpers/etcd.js';
import { bindingsCovering, BINDING_AUDIT_POLICY, fastElectionAuditedFlags, setNodeStatus, startHaCluster, type BindingRecord, type HaCluster, type HaServer } from '../helpers/ha-cluster.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { until } from '../helpers/wait.js';

// The scheduler and the controller manager of three `k8ts server`s over one
// etcd are leader-elected (upstream's --leader-elect* flags, short here): one
// leader of each across all servers; when the leading server is SIGKILLed
// another takes over and goes on; a leader frozen past its renew deadline
// binds nothing when it wakes. Every server writes an audit log of
// pods/binding, so "each pod bound exactly once, no binding ever refused"
// is read from what the API servers answered, not from the scheduler's word.

function assertBoundOnce(records: BindingRecord[], pods: string[]): void {
  const refused = records.filter((r) => r.code !== 201);
  assert.deepEqual(refused, [], 'no binding was ever refused (no two schedulers bound the same pod)');
  const count = new Map<string, number>();
  for (const r of records) count.set(r.pod, (count.get(r.pod) ?? 0) + 1);
  for (const p of pods) assert.equal(count.get(p), 1, `${p} bound exactly once`);
}

function nodeBody(name: string): k8s.V1Node {
  const resources = { cpu: '8', memory: '32Gi', pods: '110' };
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: { capacity: resources, allocatable: resources, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'test node' }] },
  };
}

describe('leader election across servers', { skip: etcdSkip() }, () => {
  let etcd: EtcdProcess;
  let cluster: HaCluster;
  let policyDir: string | undefined;
  let coord: (s: HaServer) => k8s.CoordinationV1Api;
  let core: (s: HaServer) => k8s.CoreV1Api;

  const holder = async (via: HaServer, lease: string): Promise<string | undefined> =>
    (await coord(via).readNamespacedLease({ name: lease, namespace: 'kube-system' })).spec?.holderIdentity || undefined;
  const schedulerLeader = (id: string): HaServer | undefined => cluster.servers.find((s) => s.proc.output().includes(`scheduler ${id} is the leader`));
  const managerLeader = (id: string): HaServer | undefined => cluster.servers.find((s) => s.proc.output().includes(`(identity ${id}, leader-elected)`));
  const boundPods = async (via: HaServer, selector: string): Promise<k8s.V1Pod[]> =>
    (await core(via).listNamespacedPod({ namespace: 'default', labelSelector: selector })).items.filter((p) => p.spec?.nodeName);

  /** What a timed-out scale-up had reached, and what the live servers last said: enough to tell which component stalled. */
  const whereScaleStands = async (via: HaServer): Promise<string> => {
    const all = (await core(via).listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' }).catch(() => undefined))?.items ?? [];
    const lines = [`pods: ${all.length}, bound: ${all.filter((p) => p.spec?.nodeName).length}, deleting: ${all.filter((p) => p.metadata?.deletionTimestamp).length}`];
    for (const l of ['kube-scheduler', 'kube-controller-manager']) lines.push(`${l} lease holder: ${await holder(via, l).catch((e: Error) => e.message)}`);
    for (const s of cluster.alive()) lines.push(`server ${s.index} said last:\n${s.proc.output().trim().split('\n').slice(-12).join('\n')}`);
    return lines.join('\n');
  };

  before(async () => {
    policyDir = await mkdtemp(join(tmpdir(), 'k8ts-ha-audit-'));
    const policy = join(policyDir, 'audit-policy.yaml');
    await writeFile(policy, BINDING_AUDIT_POLICY);
    etcd = await startEtcd();
    cluster = await startHaCluster(3, etcd.endpoints, (_i, dir) => fastElectionAuditedFlags(policy, dir));
    const apis = new Map<HaServer, { c: k8s.CoordinationV1Api; core: k8s.CoreV1Api }>();
    const api = (s: HaServer) => {
      let a = apis.get(s);
      if (!a) {
        const kc = new k8s.KubeConfig();
        kc.loadFromFile(s.kubeconfig);
        a = { c: kc.makeApiClient(k8s.CoordinationV1Api), core: kc.makeApiClient(k8s.CoreV1Api) };
        apis.set(s, a);
      }
      return a;
    };
    coord = (s) => api(s).c;
    core = (s) => api(s).core;
    for (const n of ['node-a', 'node-b']) {
      await core(cluster.servers[0]!).createNode({ body: nodeBody(n) });
      await setNodeStatus(core(cluster.servers[0]!), n, nodeBody(n).status!);
    }
  });

  after(async () => {
    await cluster?.stop();
    await etcd?.stop();
    if (policyDir) await rm(policyDir, { recursive: true, force: true });
  });

  test('one scheduler and one controller manager lead across all servers; a Deployment\'s pods are bound once each', async () => {
    const s0 = cluster.servers[0]!;
    const sched = await until('a scheduler leader', () => holder(s0, 'kube-scheduler'));
    const cm = await until('a controller-manager leader', () => holder(s0, 'kube-controller-manager'));
    assert.ok(schedulerLeader(sched), `the holder ${sched} is one of the servers' schedulers`);
    assert.ok(managerLeader(cm), `the holder ${cm} is one of the servers' controller managers`);
    // Normally one server leads from the start; on a loaded machine a short lease may change hands, but
    // only through the Lease: every server that led took it in a recorded transition.
    const lease = await coord(s0).readNamespacedLease({ name: 'kube-scheduler', namespace: 'kube-system' });
    const led = cluster.servers.filter((s) => /scheduler \S+ is the leader/.test(s.proc.output())).length;
    assert.ok(led >= 1 && led <= (lease.spec!.leaseTransitions ?? 0) + 1, `${led} servers led with ${lease.spec!.leaseTransitions} lease transitions`);
    await kubectlOk(cluster.servers[1]!.kubeconfig, ['create', 'deployment', 'web', '--image=busybox', '--replicas=6', '--', 'sleep', '3600']);
    const pods = await until('6 bound pods', async () => {
      const p = await boundPods(cluster.servers[2]!, 'app=web');
      return p.length === 6 ? p : undefined;
    });
    {
      const names = pods.map((p) => `default/${p.metadata!.name}`);
      assertBoundOnce(await bindingsCovering(cluster, names), names);
    }
  });

  test('SIGKILL of the leading server: another server takes both leases and goes on scheduling and reconciling', async () => {
    const live = cluster.alive();
    const oldSched = (await holder(live[0]!, 'kube-scheduler'))!;
    const victim = schedulerLeader(oldSched)!;
    const oldCm = (await holder(live[0]!, 'kube-controller-manager'))!;
    const cmVictim = managerLeader(oldCm)!;
    const killedAt = Date.now();
    await victim.kill();
    if (cmVictim !== victim) await cmVictim.kill();
    const via = cluster.alive()[0]!;
    // The winner writes the Lease before it prints that it leads: wait for both, then check who it is.
    const newSched = await until('a new scheduler leader that says it leads', async () => {
      const h = await holder(via, 'kube-scheduler');
      return h && h !== oldSched && schedulerLeader(h) ? h : undefined;
    });
    const handoverMs = Date.now() - killedAt;
    assert.ok(schedulerLeader(newSched)?.alive, 'the new scheduler leader is a live server');
    const newCm = await until('a new controller-manager leader that says it leads', async () => {
      const h = await holder(via, 'kube-controller-manager');
      return h && h !== oldCm && managerLeader(h) ? h : undefined;
    });
    assert.ok(managerLeader(newCm)?.alive, 'the new controller-manager leader is a live server');
    console.log(`# scheduler lease handed over ${handoverMs} ms after SIGKILL (lease duration 6 s)`);
    // The new controller manager scales the ReplicaSet; the new scheduler binds.
    await kubectlOk(via.kubeconfig, ['scale', 'deployment', 'web', '--replicas=12']);
    const pods = await until('12 bound pods', async () => {
      const p = await boundPods(via, 'app=web');
      return p.length === 12 ? p : undefined;
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await whereScaleStands(via)}`);
    });
    {
      const names = pods.map((p) => `default/${p.metadata!.name}`);
      assertBoundOnce(await bindingsCovering(cluster, names), names);
    }
  });

  test('a leader frozen past its renew deadline steps down when it wakes; no pod is bound twice', async () => {
    const live = cluster.alive();
    assert.ok(live.length >= 1);
    const old = (await holder(live[0]!, 'kube-scheduler'))!;
    const frozen = schedulerLeader(old)!;
    // More servers are needed to take over: bring the killed ones back.
    for (const s of cluster.servers) if (!s.alive) await cluster.restart(s.index);
    const other = cluster.alive().find((s) => s !== frozen)!;
    // Pods the leader has just heard of when it freezes: it may be in the middle of binding them.
    const names = Array.from({ length: 10 }, (_, i) => `frozen-${i}`);
    await Promise.all(names.map((name) => core(other).createNamespacedPod({ namespace: 'default', body: { metadata: { name, labels: { app: 'frozen' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } })));
    frozen.proc.child.kill('SIGSTOP');
    try {
      await until('another scheduler leader', async () => {
        const h = await holder(other, 'kube-scheduler');
        return h && h !== old ? h : undefined;
      });
      // Pods created while it is frozen: their watch events wait in its sockets and reach its scheduler
      // the moment it wakes, before its renew loop has run again. Only the lease deadline stops it.
      const later = Array.from({ length: 10 }, (_, i) => `during-${i}`);
      await Promise.all(later.map((name) => core(other).createNamespacedPod({ namespace: 'default', body: { metadata: { name, labels: { app: 'frozen' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } })));
      await until('20 frozen-*/during-* pods bound', async () => ((await boundPods(other, 'app=frozen')).length === 20 ? true : undefined));
    } finally {
      frozen.proc.child.kill('SIGCONT');
    }
    // It wakes, finds its deadline long past, and steps down without binding.
    const stepDown = (line: string) => line.includes('leaderelection lost') && line.includes(old);
    await until('the woken scheduler to step down', async () => (frozen.proc.output().split('\n').some(stepDown) ? true : undefined));
    const h = await holder(other, 'kube-scheduler');
    assert.notEqual(h, old, 'the woken server did not take the lease back from a live leader');
    const all = await core(other).listNamespacedPod({ namespace: 'default' });
    const records = await bindingsCovering(cluster, all.items.filter((p) => p.spec?.nodeName).map((p) => `default/${p.metadata!.name}`));
    // A binding the leader sent just before it froze may still sit inside its own (frozen) API server and
    // be answered 409 after the wake-up: that request was decided while the lease was valid, and the
    // store's compare-and-swap refuses it. Nothing else may be refused, and no pod is bound twice.
    const late = records.filter((r) => r.code !== 201 && r.server === frozen.index && r.pod.startsWith('default/frozen-'));
    assert.deepEqual(records.filter((r) => r.code !== 201 && r.pod.startsWith('default/during-')), [], 'the woken leader tried no binding of a pod it heard of while frozen');
    if (late.length) console.log(`# ${late.length} binding(s) in flight inside the frozen server were refused after it woke`);
    assertBoundOnce(records.filter((r) => !late.includes(r)), all.items.filter((p) => p.spec?.nodeName).map((p) => `default/${p.metadata!.name}`));
  });
});

