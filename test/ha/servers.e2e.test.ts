import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { etcdSkip, startEtcd, type EtcdProcess } from '../helpers/etcd.js';
import { advertiseOf, startHaCluster, type HaCluster } from '../helpers/ha-cluster.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { until } from '../helpers/wait.js';

// Three `k8ts server` processes over one etcd behave as one cluster: what one
// server writes, the others read and watch (their watch caches are fed from
// etcd's watch, not from their own writes), Service IPs and node ports are
// never handed out twice, resourceVersions are etcd's own revisions whichever
// server answers, a watch moved between servers resumes without a gap or a
// duplicate, and the `kubernetes` Service lists one endpoint per live server.

interface Api {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
}

function apiFor(kubeconfig: string): Api {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  return { kc, core: kc.makeApiClient(k8s.CoreV1Api) };
}

describe('several servers on one etcd', { skip: etcdSkip() }, () => {
  let etcd: EtcdProcess;
  let cluster: HaCluster;
  let apis: Api[];

  before(async () => {
    etcd = await startEtcd();
    cluster = await startHaCluster(3, etcd.endpoints);
    apis = cluster.servers.map((s) => apiFor(s.kubeconfig));
  });

  after(async () => {
    await cluster?.stop();
    await etcd?.stop();
  });

  test('objects written through one server are read, with the same resourceVersion, through every other', async () => {
    const [s0, s1, s2] = cluster.servers;
    for (const [i, s] of [s0!, s1!, s2!].entries()) {
      await kubectlOk(s.kubeconfig, ['create', 'configmap', `through-${i}`, `--from-literal=server=${i}`]);
    }
    await kubectlOk(s2!.kubeconfig, ['label', 'configmap', 'through-0', 'touched=by-2']);
    const views = await Promise.all(
      cluster.servers.map(async (s) => {
        const list = JSON.parse(await kubectlOk(s.kubeconfig, ['get', 'configmaps', '-o', 'json'])) as { items: k8s.V1ConfigMap[] };
        return Object.fromEntries(list.items.filter((c) => c.metadata!.name!.startsWith('through-')).map((c) => [c.metadata!.name!, `${c.metadata!.resourceVersion}/${c.metadata!.labels?.touched ?? ''}`]));
      }),
    );
    assert.deepEqual(Object.keys(views[0]!).sort(), ['through-0', 'through-1', 'through-2']);
    assert.match(views[0]!['through-0']!, /by-2$/);
    assert.deepEqual(views[1], views[0]);
    assert.deepEqual(views[2], views[0]);
    for (const a of apis) {
      const cm = await a.core.readNamespacedConfigMap({ name: 'through-1', namespace: 'default' });
      assert.equal(`${cm.metadata!.resourceVersion}/`, views[0]!['through-1']);
    }
  });

  test('Service IPs and node ports allocated concurrently through three servers are never handed out twice', async () => {
    const perServer = 12;
    const created = await Promise.all(
      apis.flatMap((a, i) =>
        Array.from({ length: perServer }, (_, j) =>
          a.core.createNamespacedService({
            namespace: 'default',
            body: { metadata: { name: `alloc-${i}-${j}` }, spec: { type: 'NodePort', selector: { app: 'none' }, ports: [{ port: 80, targetPort: 8080 }] } },
          }),
        ),
      ),
    );
    const ips = created.map((s) => s.spec!.clusterIP!);
    const ports = created.map((s) => s.spec!.ports![0]!.nodePort!);
    assert.equal(new Set(ips).size, ips.length, `duplicate cluster IPs: ${ips.join(' ')}`);
    assert.equal(new Set(ports).size, ports.length, `duplicate node ports: ${ports.join(' ')}`);
    // Every server reads the same allocation back.
    for (const a of apis) {
      const svc = await a.core.readNamespacedService({ name: 'alloc-2-3', namespace: 'default' });
      assert.equal(svc.spec!.clusterIP, created[2 * perServer + 3]!.spec!.clusterIP);
    }
    // An IP asked for explicitly through one server is refused through another.
    const taken = ips[0]!;
    await assert.rejects(
      apis[1]!.core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'alloc-dup' }, spec: { clusterIP: taken, ports: [{ port: 80 }] } } }),
      (err: unknown) => (err as { code?: number }).code === 422 && /already allocated/.test(String((err as { body?: unknown }).body)),
    );
  });

  test('a watch moved from server to server resumes from its last resourceVersion: every event once, none missing', async () => {
    const ns = 'watch-moves';
    await kubectlOk(cluster.servers[0]!.kubeconfig, ['create', 'namespace', ns]);
    const start = (await apis[1]!.core.listNamespacedConfigMap({ namespace: ns })).metadata!.resourceVersion!;
    const acked: string[] = [];
    const received: { type: string; name: string; rv: string }[] = [];
    let lastRv = start;
    let current: AbortController | undefined;
    let failure: unknown;
    let hop = 0;
    const open = async (server: number): Promise<void> => {
      current = await new k8s.Watch(apis[server]!.kc).watch(
        `/api/v1/namespaces/${ns}/configmaps`,
        { resourceVersion: lastRv, allowWatchBookmarks: true },
        (type, obj: k8s.V1ConfigMap) => {
          if (type === 'BOOKMARK') return;
          if (type === 'ERROR') {
            failure = obj;
            return;
          }
          lastRv = obj.metadata!.resourceVersion!;
          // The root-CA publisher adds kube-root-ca.crt to the namespace: not one of ours.
          if (obj.metadata!.name!.startsWith('w-')) received.push({ type, name: obj.metadata!.name!, rv: lastRv });
        },
        () => undefined,
      );
    };
    await open(0);
    // Writes go round-robin through all three servers while the watch hops.
    const writer = (async () => {
      for (let i = 0; i < 90; i++) {
        const a = apis[i % 3]!;
        const name = `w-${i % 15}`;
        let rv: string;
        if (i < 15) rv = (await a.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name }, data: { i: String(i) } } })).metadata!.resourceVersion!;
        else if (i < 75) rv = (await a.core.replaceNamespacedConfigMap({ name, namespace: ns, body: { metadata: { name }, data: { i: String(i) } } })).metadata!.resourceVersion!;
        else {
          await a.core.deleteNamespacedConfigMap({ name, namespace: ns });
          rv = '';
        }
        acked.push(rv);
      }
    })();
    // Hop to the next server every 20 events, from the last resourceVersion seen.
    while (hop < 4) {
      const target = (hop + 1) * 20;
      await until(`${target} watch events`, async () => (received.length >= target ? true : undefined));
      current?.abort();
      hop++;
      await open(hop % 3);
    }
    await writer;
    await until('all 90 watch events', async () => (received.length >= 90 ? true : undefined));
    current?.abort();
    assert.equal(failure, undefined);
    assert.equal(received.length, 90, 'no duplicate events');
    const rvs = received.map((e) => Number(e.rv));
    for (let i = 1; i < rvs.length; i++) assert.ok(rvs[i]! > rvs[i - 1]!, `events in revision order, once each (${rvs[i - 1]} then ${rvs[i]})`);
    // Every acknowledged create and update was seen with its own resourceVersion.
    const seen = new Set(received.filter((e) => e.type !== 'DELETED').map((e) => e.rv));
    for (const rv of acked.filter(Boolean)) assert.ok(seen.has(rv), `write at ${rv} seen`);
    assert.deepEqual(
      received.map((e) => e.type),
      [...Array(15).fill('ADDED'), ...Array(60).fill('MODIFIED'), ...Array(15).fill('DELETED')],
    );
  });

  test('the kubernetes Service lists one endpoint per live server; a killed server drops out when its lease expires', async () => {
    const endpoints = async (a: Api): Promise<string[]> => {
      const ep = await a.core.readNamespacedEndpoints({ name: 'kubernetes', namespace: 'default' });
      return (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((x) => x.ip)).sort();
    };
    const all = [0, 1, 2].map(advertiseOf).sort();
    for (const a of apis) await until('three kubernetes endpoints', async () => ((await endpoints(a)).join() === all.join() ? true : undefined));
    await cluster.servers[2]!.kill();
    const two = [0, 1].map(advertiseOf).sort();
    // The dead server's lease (15 s) expires; the next reconcile of a live server (every 10 s) drops it.
    await until('the killed server gone from the endpoints', async () => ((await endpoints(apis[0]!)).join() === two.join() ? true : undefined));
    assert.deepEqual(await endpoints(apis[1]!), two);
    const out = await kubectlOk(cluster.servers[1]!.kubeconfig, ['get', 'configmap', 'through-2', '-o', 'jsonpath={.data.server}']);
    assert.equal(out, '2');
  });
});
