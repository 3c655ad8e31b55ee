// `k8ts agent --uninstall` on a host whose agent was SIGKILLed (so nothing of
// it was cleaned up on the way out): two hosts over vxlan, the server's own
// node on host 0 and a joined agent on host 1 running pods with a tmpfs
// volume. After the uninstall host 1 holds none of the node's processes,
// mounts, pod network (podCIDR route, VXLAN device, routes to the other
// node, FORWARD chain), proxy chains or data directories; its Node object
// stays until `kubectl delete node`, as the command says. Then `k8ts server
// --uninstall` on host 0: refused while the server runs; after a clean stop
// (which leaves pods and proxy rules in place, as upstream's kubelet and
// kube-proxy do) it removes the local node's pods and the whole data directory.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kubectlOk } from '../helpers/kubectl.js';
import { until } from '../helpers/wait.js';
import { isRoot, startMultiHostCluster, type Host, type MultiHostCluster } from './harness.js';
import { forwardChain } from '../../src/podnet/forward.js';
import { defaultNetworkName, networkMetric } from '../../src/runtime/exec/network.js';

const skip = !isRoot && !process.env.CI ? 'needs root (network namespaces)' : false;
const LONG = 240_000;

/** Processes whose command line names a path under dir (the exec runtime's pause and container scripts do). */
function processesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.includes(dir)) out.push(`${name}: ${cmd.replace(/\0/g, ' ').trim()}`);
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * Mounts under dir in this process's mount namespace and in those of the processes under dir: `ip netns exec`
 * gives each host's agent a mount namespace of its own, which its pods keep alive after it is killed.
 */
function mountsUnder(dir: string): string[] {
  const pids = ['self', ...processesUnder(dir).map((p) => p.split(':')[0]!)];
  const targets = new Set<string>();
  for (const pid of pids) {
    try {
      for (const l of readFileSync(`/proc/${pid}/mounts`, 'utf8').split('\n')) {
        const t = l.split(' ')[1] ?? '';
        if (t.startsWith(`${dir}/`)) targets.add(t);
      }
    } catch {
      // exited meanwhile
    }
  }
  return [...targets];
}

/** Two pods on one node, each writing to a tmpfs emptyDir, behind a Service; resolves once both run. */
async function pinnedDeployment(c: MultiHostCluster, name: string, node: string): Promise<void> {
  const deploy = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          nodeSelector: { 'kubernetes.io/hostname': node },
          terminationGracePeriodSeconds: 30,
          containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo kept > /scratch/x; exec sleep 3600'], volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }],
          volumes: [{ name: 'scratch', emptyDir: { medium: 'Memory' } }],
        },
      },
    },
  };
  await kubectlOk(c.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify(deploy) });
  await kubectlOk(c.kubeconfig, ['expose', 'deployment', name, '--port', '80', '--target-port', '8080']);
  await until(`both ${name} pods Running on ${node}`, async () => {
    const phases = await kubectlOk(c.kubeconfig, ['get', 'pods', '-l', `app=${name}`, '-o', 'jsonpath={range .items[*]}{.spec.nodeName}={.status.phase} {end}']);
    return phases.trim().split(' ').filter((p) => p === `${node}=Running`).length === 2 ? true : undefined;
  }, LONG);
}

describe('k8ts agent --uninstall after the agent was killed, k8ts server --uninstall after a clean stop', { skip }, () => {
  let c: MultiHostCluster;
  let h: Host;

  before(async () => {
    c = await startMultiHostCluster({ hosts: 2, backend: 'vxlan', embeddedAgent: true, forwardPolicy: 'DROP' });
    h = c.hosts[1]!;
    await pinnedDeployment(c, 'held', h.name);
    await pinnedDeployment(c, 'onserver', c.hosts[0]!.name);
  });
  after(async () => {
    await c?.close();
  });

  test('agent: removes the pods, mounts, pod network, proxy rules and data, and leaves the Node to the cluster', { timeout: LONG * 2 }, async (t) => {
    // What a crashed agent leaves behind; each is checked again after the uninstall.
    const network = defaultNetworkName(h.name);
    const podRoute = async (): Promise<string> => (await c.exec(h, ['ip', '-4', 'route', 'show', 'type', 'unreachable'])).stdout.split('\n').filter((l) => l.includes(`metric ${networkMetric(network)}`)).join('\n');
    const state = async (): Promise<Record<string, unknown>> => ({
      processes: processesUnder(h.rootDir).length > 0,
      mounts: mountsUnder(h.rootDir).length > 0,
      podCIDRRoute: (await podRoute()) !== '',
      vxlanDevice: (await c.exec(h, ['ip', 'link', 'show', 'dev', 'k8ts.1'])).code === 0,
      routesToOtherNodes: (await c.exec(h, ['ip', '-4', 'route', 'show', 'proto', '73'])).stdout.trim() !== '',
      forwardChain: (await c.exec(h, ['iptables', '-w', '-S', forwardChain(h.name)])).code === 0,
      proxyChains: /:KUBE-SERVICES/.test((await c.exec(h, ['iptables-save'])).stdout),
      agentDir: existsSync(join(h.dir, 'agent')),
      rootDir: existsSync(h.rootDir),
    });
    const everything = { processes: true, mounts: true, podCIDRRoute: true, vxlanDevice: true, routesToOtherNodes: true, forwardChain: true, proxyChains: true, agentDir: true, rootDir: true };
    await c.killNodeAgent(h);
    assert.deepEqual(await state(), everything, 'a SIGKILLed agent leaves all of this behind');

    const run = c.k8tsOn(h, ['agent', '--uninstall', '--node-name', h.name, '--runtime', 'exec', '--data-dir', h.dir, '--root-dir', h.rootDir], 'uninstall.log');
    const code = await run.exited;
    const out = run.output();
    t.diagnostic(out);
    assert.equal(code, 0, out);
    assert.match(out, /exec: removed 2 pods \(2 containers\) and the node's pod network/);
    assert.match(out, new RegExp(`kubectl delete node ${h.name}`));

    const none = Object.fromEntries(Object.keys(everything).map((k) => [k, false]));
    assert.deepEqual(await state(), none, `left behind: ${processesUnder(h.rootDir).join('; ')} ${mountsUnder(h.rootDir).join(' ')}`);

    // The cluster still has the Node (NotReady soon: nothing renews its Lease) until someone deletes it.
    assert.equal(await kubectlOk(c.kubeconfig, ['get', 'node', h.name, '-o', 'jsonpath={.metadata.name}']), h.name);
    await kubectlOk(c.kubeconfig, ['delete', 'node', h.name]);

    // A second run finds nothing and says so without failing.
    const again = c.k8tsOn(h, ['agent', '--uninstall', '--node-name', h.name, '--runtime', 'exec', '--data-dir', h.dir, '--root-dir', h.rootDir], 'uninstall-again.log');
    assert.equal(await again.exited, 0, again.output());
    assert.match(again.output(), /removed 0 routes/);
  });

  test('server: refused while it runs; after a clean stop removes its node\'s pods, its rules and the whole data directory', { timeout: LONG }, async (t) => {
    const server = c.hosts[0]!;
    const data = join(server.dir, 'data');
    const rootDir = join(data, 'kubelet');
    const args = ['server', '--uninstall', '--data-dir', data, '--node-name', server.name, '--runtime', 'exec'];
    const refused = c.k8tsOn(server, args, 'uninstall-while-running.log');
    assert.equal(await refused.exited, 1, refused.output());
    assert.match(refused.output(), /a k8ts server is running on .*: stop it first/);
    assert.ok(existsSync(join(data, 'state.db')), 'nothing removed while the server runs');

    // A clean stop leaves the pods running (a restarted server's kubelet adopts them) and the proxy's rules in place.
    const proc = server.procs[0]!;
    proc.child.kill('SIGTERM');
    await proc.exited;
    assert.ok(processesUnder(rootDir).length > 0, 'the pods outlive the server');
    assert.match((await c.exec(server, ['iptables-save'])).stdout, /:KUBE-SERVICES/);

    const run = c.k8tsOn(server, args, 'uninstall-server.log');
    const code = await run.exited;
    t.diagnostic(run.output());
    assert.equal(code, 0, run.output());
    assert.match(run.output(), /exec: removed 2 pods \(2 containers\) and the node's pod network/);
    assert.match(run.output(), /uninstalled from this host with the cluster's state/);
    assert.deepEqual(processesUnder(rootDir), []);
    assert.equal(existsSync(data), false, 'the data directory is gone');
    assert.doesNotMatch((await c.exec(server, ['iptables-save'])).stdout, /KUBE-|K8TS-FWD/);
    assert.equal((await c.exec(server, ['ip', 'link', 'show', 'dev', 'k8ts.1'])).code, 1);
  });
});
