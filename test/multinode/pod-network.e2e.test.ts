// Several hosts (network namespaces on a test switch, see harness.ts) joined
// with `k8ts agent`, the exec runtime, and the real kubectl; every host's
// FORWARD policy is DROP, as Docker leaves one. host-gw: four nodes with their own
// addresses and podCIDRs; a Deployment spread over them whose pods all reach
// each other by pod IP; a Service answering on its ClusterIP and NodePort
// from every host, and a pod reaching itself through a ClusterIP (hairpin); failover when an agent is SIGKILLed and when a host is
// cut off (and the pods that moved away stop when it returns: nothing lost,
// nothing doubled); a host joining during a scale-up receives pods. vxlan:
// the same reachability through the kernel's VXLAN device, and a clean exit
// takes the device and routes away.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { until } from '../helpers/wait.js';
import { isRoot, nodeReadiness, startMultiHostCluster, type Host, type MultiHostCluster } from './harness.js';
import { WEB_BODY, webDeployment, webProcesses } from './workload.js';

const skip = !isRoot && !process.env.CI ? 'needs root (network namespaces)' : false;
const LONG = 240_000;

interface PodView {
  name: string;
  node: string;
  ip: string;
  phase: string;
  deleting: boolean;
}

async function pods(c: MultiHostCluster, selector = 'app=web'): Promise<PodView[]> {
  const out = await kubectlOk(c.kubeconfig, ['get', 'pods', '-l', selector, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.status.podIP} {.status.phase} {.metadata.deletionTimestamp}{"\\n"}{end}']);
  return out.split('\n').filter(Boolean).map((l) => {
    const [name, node, ip, phase, del] = l.split(' ');
    return { name: name!, node: node ?? '', ip: ip ?? '', phase: phase ?? '', deleting: !!del };
  });
}

async function runningPods(c: MultiHostCluster, want: number, ok: (p: PodView[]) => boolean = () => true): Promise<PodView[]> {
  return until(`${want} running web pods`, async () => {
    const all = await pods(c);
    // Pods being deleted do not count: those of a dead node stay Terminating until its kubelet returns.
    const live = all.filter((p) => p.phase === 'Running' && !p.deleting && p.ip);
    return live.length === want && all.filter((p) => !p.deleting).length === want && ok(live) ? live : undefined;
  }, LONG);
}

/** From inside every pod, an HTTP GET to every pod IP; returns the failures ("from → to"). */
async function unreachablePairs(c: MultiHostCluster, live: PodView[]): Promise<string[]> {
  const ips = live.map((p) => p.ip).join(' ');
  const failures: string[] = [];
  for (const p of live) {
    const script = `for ip in ${ips}; do if ${httpGet('$ip', 8080)} | grep -q 'pod network ok'; then echo "ok $ip"; else echo "fail $ip"; fi; done`;
    const r = await kubectl(c.kubeconfig, ['exec', p.name, '--', 'sh', '-c', script]);
    for (const ip of live.map((q) => q.ip)) if (!r.stdout.includes(`ok ${ip}\n`)) failures.push(`${p.name}@${p.node}(${p.ip}) → ${ip}: ${r.stdout.trim().replace(/\n/g, ', ')} ${r.stderr.trim()}`);
  }
  return failures;
}

/** An HTTP GET with busybox nc (this machine's busybox wget crashes). */
const httpGet = (host: string, port: number): string => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 5 ${host} ${port}`;

async function httpFrom(c: MultiHostCluster, h: Host, host: string, port: number): Promise<boolean> {
  const r = await c.exec(h, ['sh', '-c', httpGet(host, port)]);
  return r.code === 0 && r.stdout.includes('pod network ok');
}

/** The pod IPs of the httpd processes serving this docroot right now: what really runs, whatever the API says. */
const podProcesses = (docroot: string): string[] => webProcesses(docroot).map((p) => p.ip).sort();

/** `iptables -S` of a host's filter table (its own namespace's). */
async function filterRules(c: MultiHostCluster, h: Host): Promise<string> {
  return (await c.exec(h, ['iptables', '-w', '-S'])).stdout;
}

async function dump(c: MultiHostCluster): Promise<void> {
  for (const args of [['get', 'nodes', '-o', 'wide'], ['get', 'pods', '-o', 'wide'], ['get', 'events', '--sort-by=.lastTimestamp']]) {
    const r = await kubectl(c.kubeconfig, args);
    console.log(`$ kubectl ${args.join(' ')}\n${r.stdout}${r.stderr}`);
  }
  for (const h of c.hosts) console.log(`${h.name} routes:\n${(await c.exec(h, ['ip', 'route'])).stdout}`);
}

describe('host-gw: four hosts, then a fifth', { skip }, () => {
  let c: MultiHostCluster;
  let docroot: string;
  let failed = false;

  before(async () => {
    c = await startMultiHostCluster({
      hosts: 5,
      backend: 'host-gw',
      deferred: [4],
      // The fast profile, a little slower than the benchmark's so a loaded machine does not make live nodes flap.
      serverArgs: ['--node-monitor-grace-period', '10s', '--node-monitor-period', '1s', '--default-not-ready-toleration-seconds', '0', '--default-unreachable-toleration-seconds', '0'],
      kubeletArgs: ['node-lease-duration-seconds=8', 'node-status-update-frequency=2s'],
      forwardPolicy: 'DROP',
    });
    docroot = join(c.dir, 'www');
  });

  after(async () => {
    if (failed && c) await dump(c);
    await c?.close();
  });

  const step = (name: string, fn: () => Promise<void>): void => {
    test(name, async () => {
      try {
        await fn();
      } catch (err) {
        failed = true;
        throw err;
      }
    });
  };

  step('four Ready nodes with their own InternalIPs, podCIDRs and nodeInfo (kubectl get nodes -o wide)', async () => {
    const four = c.hosts.slice(0, 4);
    await until('four Ready nodes', async () => {
      const r = await nodeReadiness(c);
      return four.every((h) => r.get(h.name) === 'True') ? true : undefined;
    }, LONG);
    const wide = await kubectlOk(c.kubeconfig, ['get', 'nodes', '-o', 'wide']);
    assert.match(wide.split('\n')[0]!, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME/);
    for (const h of four) assert.match(wide, new RegExp(`^${h.name}\\s+Ready\\s+<none>\\s+\\S+\\s+v1\\.32\\S*\\s+${h.ip.replace(/\./g, '\\.')}\\s+<none>\\s+.+exec://`, 'm'));
    const out = await kubectlOk(c.kubeconfig, ['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.podCIDR} {.status.nodeInfo.kernelVersion} {.status.nodeInfo.kubeletVersion} {.status.nodeInfo.bootID}{"\\n"}{end}']);
    const rows = out.split('\n').filter(Boolean).map((l) => l.split(' '));
    assert.equal(rows.length, 4);
    const cidrs = rows.map((r) => r[1]!);
    assert.equal(new Set(cidrs).size, 4, `distinct podCIDRs: ${cidrs.join(' ')}`);
    for (const r of rows) {
      assert.match(r[1]!, /^10\.244\.\d+\.0\/24$/);
      assert.ok(r[2] && r[3] && r[4], `nodeInfo of ${r[0]}: ${r.join(' ')}`);
    }
    // host-gw: each host routes every other node's podCIDR through that node's address, and no more.
    for (const h of four) {
      const want = rows
        .filter((x) => x[0] !== h.name)
        .map((r) => `${r[1]} via ${four.find((x) => x.name === r[0])!.ip} dev eth0`)
        .sort();
      const routes = await until(`${h.name}: a route to each other node's pods`, async () => {
        const out = (await c.exec(h, ['ip', '-4', 'route', 'show', 'proto', '73'])).stdout.split('\n').filter(Boolean).map((l) => l.replace(/\s+proto 73.*$/, '').trim()).sort();
        return out.length === want.length ? out : undefined;
      }, LONG);
      assert.deepEqual(routes, want);
    }
  });

  let nodePort = 0;
  let clusterIP = '';
  step('six pods spread over the nodes reach each other by pod IP; the Service answers on ClusterIP and NodePort from every host, and a pod through a ClusterIP to itself', async () => {
    await webDeployment(c, 6, docroot);
    const live = await runningPods(c, 6);
    assert.ok(new Set(live.map((p) => p.node)).size >= 3, `spread: ${live.map((p) => p.node).join(' ')}`);
    assert.deepEqual(await until('every pod reaching every pod', async () => {
      const f = await unreachablePairs(c, live);
      return f.length === 0 ? f : undefined;
    }, LONG), []);
    await kubectlOk(c.kubeconfig, ['expose', 'deployment', 'web', '--port', '80', '--target-port', '8080', '--type', 'NodePort']);
    clusterIP = await kubectlOk(c.kubeconfig, ['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    nodePort = Number(await kubectlOk(c.kubeconfig, ['get', 'svc', 'web', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    for (const h of c.hosts.slice(0, 4)) {
      await until(`ClusterIP from ${h.name}`, async () => ((await httpFrom(c, h, clusterIP, 80)) ? true : undefined), LONG);
      // Several tries: each lands on some endpoint, so every host reaches pods of other hosts through its rules.
      for (let i = 0; i < 6; i++) assert.ok(await httpFrom(c, h, clusterIP, 80), `ClusterIP from ${h.name}, try ${i}`);
      for (const target of c.hosts.slice(0, 4)) await until(`NodePort ${target.ip}:${nodePort} from ${h.name}`, async () => ((await httpFrom(c, h, target.ip, nodePort)) ? true : undefined), LONG);
    }
    // Hairpin: a pod reaching itself through a Service's ClusterIP (its host routes the packet back out of the
    // pod's own veth, masqueraded so that the pod answers the host), on every node's pod network.
    for (const p of live.filter((q, i) => live.findIndex((r) => r.node === q.node) === i)) {
      await kubectlOk(c.kubeconfig, ['label', 'pod', p.name, 'solo=yes', '--overwrite']);
      const solo = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'solo', namespace: 'default' }, spec: { selector: { solo: 'yes' }, ports: [{ port: 80, targetPort: 8080 }] } };
      await kubectlOk(c.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify(solo) });
      const soloIP = await kubectlOk(c.kubeconfig, ['get', 'svc', 'solo', '-o', 'jsonpath={.spec.clusterIP}']);
      await until(`${p.name}@${p.node} reaching itself through ClusterIP ${soloIP}`, async () => ((await kubectl(c.kubeconfig, ['exec', p.name, '--', 'sh', '-c', httpGet(soloIP, 80)])).stdout.includes('pod network ok') ? true : undefined), LONG);
      await kubectlOk(c.kubeconfig, ['delete', 'svc', 'solo', '--wait=true']);
      await kubectlOk(c.kubeconfig, ['label', 'pod', p.name, 'solo-']);
    }
    // And from outside every host (the test network), on each host's address.
    for (const h of c.hosts.slice(0, 4)) {
      const body = await until(`NodePort on ${h.ip} from outside`, async () => {
        const res = await fetch(`http://${h.ip}:${nodePort}/`).catch(() => undefined);
        return res?.ok ? res.text() : undefined;
      }, LONG);
      assert.equal(body, WEB_BODY);
    }
    assert.deepEqual(podProcesses(docroot), live.map((p) => p.ip).sort());
    // Every host drops what it forwards unless a rule says otherwise (as Docker leaves a host): the agents' chain let all of the above through.
    const cidrs = (await kubectlOk(c.kubeconfig, ['get', 'nodes', '-o', 'jsonpath={.items[*].spec.podCIDR}'])).split(' ').filter(Boolean);
    for (const h of c.hosts.slice(0, 4)) {
      const rules = await filterRules(c, h);
      assert.match(rules, /^-P FORWARD DROP$/m);
      assert.match(rules, /^-A FORWARD -m comment --comment "k8ts pod network forwarding" -j K8TS-FWD-[0-9A-F]{8}$/m);
      for (const cidr of cidrs) for (const dir of ['-s', '-d']) assert.match(rules, new RegExp(`^-A K8TS-FWD-[0-9A-F]{8} ${dir} ${cidr.replace(/\./g, '\\.')} .*-j ACCEPT$`, 'm'), `${h.name}: ${dir} ${cidr}\n${rules}`);
    }
  });

  step('a claim of the local-path class used by a pod on a joined node is provisioned by that node, under its own root dir', async () => {
    const target = c.hosts[2]!;
    const claim = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } } };
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'writer', namespace: 'default' },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': target.name },
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'w', image: 'busybox', command: ['sh', '-c', 'echo written on $(hostname) > /data/f && exec sleep 3600'], volumeMounts: [{ name: 'd', mountPath: '/data' }] }],
        volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }],
      },
    };
    await kubectlOk(c.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [claim, pod] }) });
    await until('pod writer Running', async () => ((await kubectlOk(c.kubeconfig, ['get', 'pod', 'writer', '-o', 'jsonpath={.status.phase}'])) === 'Running' ? true : undefined), LONG);
    assert.equal(await kubectlOk(c.kubeconfig, ['get', 'pvc', 'data', '-o', 'jsonpath={.status.phase}']), 'Bound');
    const pvName = await kubectlOk(c.kubeconfig, ['get', 'pvc', 'data', '-o', 'jsonpath={.spec.volumeName}']);
    const pv = JSON.parse(await kubectlOk(c.kubeconfig, ['get', 'pv', pvName, '-o', 'json'])) as { spec: { hostPath: { path: string }; nodeAffinity: { required: { nodeSelectorTerms: { matchExpressions: { values: string[] }[] }[] } } } };
    const path = pv.spec.hostPath.path;
    assert.ok(path.startsWith(`${target.rootDir}/storage/`), path);
    assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0]!.matchExpressions[0]!.values, [target.name]);
    const csrs = await kubectlOk(c.kubeconfig, ['get', 'csr', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.username} {.status.conditions[0].reason}{"\\n"}{end}']);
    assert.match(csrs, new RegExp(`^local-path-csr-\\S+ system:node:${target.name} AutoApproved$`, 'm'));
    assert.equal(await until('the pod\'s file on the node\'s disk', async () => readFileSync(join(path, 'f'), 'utf8').trim() || undefined, LONG), 'written on writer');
    await kubectlOk(c.kubeconfig, ['delete', 'pod', 'writer', '--wait=false']);
    await kubectlOk(c.kubeconfig, ['delete', 'pvc', 'data', '--wait=false']);
    await until('the released volume deleted with its directory', async () => ((await kubectl(c.kubeconfig, ['get', 'pv', pvName])).code !== 0 && !existsSync(path) ? true : undefined), LONG);
  });

  step('failover: a SIGKILLed agent\'s node turns NotReady, its pods run elsewhere, the Service keeps answering; on return its evicted pods stop', async () => {
    const victim = c.hosts[3]!;
    const before = await pods(c);
    const lost = before.filter((p) => p.node === victim.name);
    assert.ok(lost.length > 0, `pods on ${victim.name}: ${before.map((p) => p.node).join(' ')}`);
    await c.killNodeAgent(victim);
    await until(`${victim.name} NotReady`, async () => ((await nodeReadiness(c)).get(victim.name) === 'Unknown' ? true : undefined), LONG);
    const live = await runningPods(c, 6, (l) => l.every((p) => p.node !== victim.name) && lost.every((g) => !l.some((p) => p.name === g.name)));
    assert.ok(await httpFrom(c, c.hosts[0]!, clusterIP, 80));
    assert.deepEqual(await until('pods reaching each other after failover', async () => {
      const f = await unreachablePairs(c, live);
      return f.length === 0 ? f : undefined;
    }, LONG), []);
    // The agent comes back: the pods evicted from its node are stopped, not run beside their replacements.
    await c.startNodeAgent(victim);
    await until(`${victim.name} Ready again`, async () => ((await nodeReadiness(c)).get(victim.name) === 'True' ? true : undefined), LONG);
    await until('evicted pods gone from the API', async () => ((await pods(c)).every((p) => !lost.some((g) => g.name === p.name)) ? true : undefined), LONG);
    const final = await runningPods(c, 6);
    assert.deepEqual(await until('one process per pod', async () => {
      const procs = podProcesses(docroot);
      return procs.length === 6 ? procs : undefined;
    }, LONG), final.map((p) => p.ip).sort());
  });

  step('failover: a host cut off from the network (agent still running) loses its pods to others; back on the network it stops them', async () => {
    const victim = (await pods(c)).map((p) => c.hosts.find((h) => h.name === p.node)!).find((h) => h.index !== 0)!;
    const lost = (await pods(c)).filter((p) => p.node === victim.name);
    await c.setLink(victim, false);
    try {
      await until(`${victim.name} NotReady`, async () => ((await nodeReadiness(c)).get(victim.name) === 'Unknown' ? true : undefined), LONG);
      await until('replacements running on the other nodes', async () => {
        const all = await pods(c);
        const live = all.filter((p) => p.phase === 'Running' && !p.deleting && p.node !== victim.name);
        return live.length === 6 ? true : undefined;
      }, LONG);
      assert.ok(await httpFrom(c, c.hosts[0]!, clusterIP, 80));
    } finally {
      await c.setLink(victim, true);
    }
    await until(`${victim.name} Ready again`, async () => ((await nodeReadiness(c)).get(victim.name) === 'True' ? true : undefined), LONG);
    await until('the cut-off host\'s evicted pods gone from the API', async () => ((await pods(c)).every((p) => !lost.some((g) => g.name === p.name)) ? true : undefined), LONG);
    const final = await runningPods(c, 6);
    // Nothing doubled: exactly one httpd per pod of the API, on the pod's own address.
    assert.deepEqual(await until('one process per pod after the host is back', async () => {
      const procs = podProcesses(docroot);
      return procs.length === 6 ? procs : undefined;
    }, LONG), final.map((p) => p.ip).sort());
  });

  step('a host joining while the Deployment scales up receives pods', async () => {
    const newcomer = c.hosts[4]!;
    // The four nodes are full (cordoned), so the new replicas wait for the host that is joining.
    for (const h of c.hosts.slice(0, 4)) await kubectlOk(c.kubeconfig, ['cordon', h.name]);
    await kubectlOk(c.kubeconfig, ['scale', 'deployment', 'web', '--replicas', '8']);
    await c.startNodeAgent(newcomer);
    const live = await runningPods(c, 8);
    assert.equal(live.filter((p) => p.node === newcomer.name).length, 2, live.map((p) => `${p.name}@${p.node}`).join(' '));
    for (const h of c.hosts.slice(0, 4)) await kubectlOk(c.kubeconfig, ['uncordon', h.name]);
    assert.deepEqual(await until('pods of the new host reaching the others', async () => {
      const f = await unreachablePairs(c, live);
      return f.length === 0 ? f : undefined;
    }, LONG), []);
  });
});

describe('vxlan: three hosts, the server\'s own agent', { skip }, () => {
  let c: MultiHostCluster;
  let failed = false;

  before(async () => {
    c = await startMultiHostCluster({ hosts: 3, backend: 'vxlan', embeddedAgent: true, forwardPolicy: 'DROP' });
  });

  after(async () => {
    if (failed && c) await dump(c);
    await c?.close();
  });

  test('pods on three nodes reach each other through the VXLAN device; a clean exit removes it', async () => {
    try {
      await until('three Ready nodes', async () => {
        const r = await nodeReadiness(c);
        return c.hosts.every((h) => r.get(h.name) === 'True') ? true : undefined;
      }, LONG);
      const docroot = join(c.dir, 'www');
      await webDeployment(c, 3, docroot, { whenUnsatisfiable: 'DoNotSchedule' });
      const live = await runningPods(c, 3);
      assert.equal(new Set(live.map((p) => p.node)).size, 3);
      for (const h of c.hosts) {
        const link = JSON.parse((await c.exec(h, ['ip', '-j', '-d', 'link', 'show', 'dev', 'k8ts.1'])).stdout) as { linkinfo: { info_kind: string; info_data: { id: number; port: number; local: string } } }[];
        assert.deepEqual({ kind: link[0]!.linkinfo.info_kind, id: link[0]!.linkinfo.info_data.id, port: link[0]!.linkinfo.info_data.port, local: link[0]!.linkinfo.info_data.local }, { kind: 'vxlan', id: 1, port: 8472, local: h.ip });
        const routes = (await c.exec(h, ['ip', '-4', 'route', 'show', 'proto', '73'])).stdout;
        assert.equal(routes.trim().split('\n').filter((l) => / dev k8ts\.1 .*onlink/.test(l)).length, 2, `${h.name}:\n${routes}`);
        const fdb = (await c.exec(h, ['bridge', 'fdb', 'show', 'dev', 'k8ts.1'])).stdout;
        for (const other of c.hosts.filter((x) => x !== h)) assert.match(fdb, new RegExp(`dst ${other.ip.replace(/\./g, '\\.')} self permanent`));
      }
      assert.deepEqual(await until('every pod reaching every pod over vxlan', async () => {
        const f = await unreachablePairs(c, live);
        return f.length === 0 ? f : undefined;
      }, LONG), []);
      // Pods send no frame the tunnel cannot carry: their MTU is the VXLAN device's, the link's less 50 bytes.
      for (const h of c.hosts) {
        const [eth0] = JSON.parse((await c.exec(h, ['ip', '-j', 'link', 'show', 'dev', 'eth0'])).stdout) as { mtu: number }[];
        const [vx] = JSON.parse((await c.exec(h, ['ip', '-j', 'link', 'show', 'dev', 'k8ts.1'])).stdout) as { mtu: number }[];
        assert.equal(vx!.mtu, eth0!.mtu - 50, h.name);
      }
      assert.deepEqual(webProcesses(docroot).map((p) => p.mtu), [1450, 1450, 1450]);
      // FORWARD policy DROP on every host: the server's node accepts its --cluster-cidr, a joined node each podCIDR.
      assert.match(await filterRules(c, c.hosts[0]!), /^-A K8TS-FWD-[0-9A-F]{8} -s 10\.244\.0\.0\/16 .*-j ACCEPT$/m);
      assert.match(await filterRules(c, c.hosts[1]!), /^-P FORWARD DROP$/m);
      assert.match(await filterRules(c, c.hosts[1]!), /^-A FORWARD .*-j K8TS-FWD-/m);
      // A clean stop of a node agent takes its device and routes along.
      const h = c.hosts[1]!;
      for (const p of h.procs) p.child.kill('SIGTERM');
      await Promise.all(h.procs.map((p) => p.exited));
      assert.notEqual((await c.exec(h, ['ip', 'link', 'show', 'dev', 'k8ts.1'])).code, 0);
      assert.equal((await c.exec(h, ['ip', '-4', 'route', 'show', 'proto', '73'])).stdout.trim(), '');
      assert.doesNotMatch(await filterRules(c, h), /K8TS-FWD-/, 'the FORWARD rules go with the agent');
    } catch (err) {
      failed = true;
      throw err;
    }
  });
});
