// Issue #10's in-cluster client: @kubernetes/client-node's loadFromCluster()
// inside a pod (exec runtime, so the container has the host's node binary)
// finds the API server through KUBERNETES_SERVICE_HOST/PORT (the kubelet's
// service variables), reaches it at the `kubernetes` Service's ClusterIP
// (the proxy's iptables rules DNAT it to the API server), and lists pods
// with the service account token and CA the kubelet mounted, as far as
// RBAC lets its service account. Everything it set up is removed after.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultNetworkName } from '../../../src/runtime/exec/network.js';
import { kubectl, kubectlOk } from '../../helpers/kubectl.js';
import { REPO, startK8ts } from '../../helpers/k8ts-process.js';
import { until } from '../../helpers/wait.js';
import { podNetworkRouted } from '../../runtime/exec/fixture.js';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && !process.env.CI ? 'needs root (exec runtime pod namespaces, iptables)' : false;


test('a pod lists pods with client-node in-cluster config through the kubernetes Service', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-in-cluster-'));
  const node = `ic-${randomBytes(3).toString('hex')}`;
  const script = join(dir, 'in-cluster.mjs');
  const clientNode = join(REPO, 'node_modules', '@kubernetes', 'client-node', 'dist', 'index.js');
  await writeFile(
    script,
    `import * as k8s from ${JSON.stringify(clientNode)};
const kc = new k8s.KubeConfig();
kc.loadFromCluster();
const api = kc.makeApiClient(k8s.CoreV1Api);
const pods = await api.listNamespacedPod({ namespace: 'default' });
console.log('listed ' + pods.items.map((p) => p.metadata.name).join(',') + ' via ' + kc.getCurrentCluster().server);
try {
  await api.listNamespacedSecret({ namespace: 'default' });
  console.log('secrets: allowed');
} catch (err) {
  console.log('secrets: ' + (err.code ?? err.message));
}
`,
  );
  // The API server listens beyond loopback so that the pod's traffic, DNATed to the advertised address, arrives.
  const server = await startK8ts(['server', '--data-dir', dir, '--port', '0', '--bind-address', '0.0.0.0', '--runtime', 'exec', '--node-name', node, '--kubelet-port', '0', '--pod-cidr', '10.244.212.0/24', '--disable-dns']);
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  try {
    await until('the default service account', async () => ((await kubectl(kubeconfig, ['get', 'serviceaccount', 'default'])).code === 0 ? true : undefined));
    await kubectlOk(kubeconfig, ['create', 'rolebinding', 'default-view', '--clusterrole=view', '--serviceaccount=default:default']);
    await kubectlOk(kubeconfig, ['run', 'incluster', '--image=node', '--restart=Never', '--command', '--', process.execPath, script]);
    await until('the pod to succeed', async () => ((await kubectl(kubeconfig, ['get', 'pod', 'incluster', '-o', 'jsonpath={.status.phase}'])).stdout === 'Succeeded' ? true : undefined), 180_000);
    const out = await kubectlOk(kubeconfig, ['logs', 'incluster']);
    assert.match(out, /^listed incluster via https:\/\/10\.0\.0\.1:443$/m);
    // view does not include Secrets: RBAC applies to the pod's service account.
    assert.match(out, /^secrets: 403$/m);
    await kubectlOk(kubeconfig, ['delete', 'pod', 'incluster', '--wait=true']);
    // The kubelet removes the deleted pod's stopped sandbox on its own time; the pod network goes with the last one.
    const sandboxes = join(dir, 'kubelet', 'exec-runtime', 'sandboxes');
    await until('the sandbox removed', async () => (!existsSync(sandboxes) || readdirSync(sandboxes).length === 0 ? true : undefined));
  } finally {
    assert.equal(await server.stop(), 0);
    // As upstream's kube-proxy, the server leaves its rules for the next start; the test removes them.
    execFileSync(process.execPath, ['bin/k8ts.js', 'proxy', '--cleanup'], { cwd: REPO, stdio: 'ignore' });
    const rules = execFileSync('iptables-save', { encoding: 'utf8' });
    const network = podNetworkRouted(defaultNetworkName(node));
    await rm(dir, { recursive: true, force: true });
    assert.ok(!/KUBE-SVC-/.test(rules), 'no proxy chain is left');
    assert.equal(network, false, 'the node\'s pod network is removed');
  }
});
