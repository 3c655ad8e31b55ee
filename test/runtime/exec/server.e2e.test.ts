// `k8ts server --runtime exec` driven with the real kubectl: the node says
// how it isolates pods (PodIsolation condition), and a pod's dnsConfig is
// what its container reads at /etc/resolv.conf (seen through kubectl logs),
// and a pod's hostPort answers on the host's loopback.
// Nothing is left behind once the pod is deleted and the server stops.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultNetworkName } from '../../../src/runtime/exec/network.js';
import { kubectl, kubectlOk } from '../../helpers/kubectl.js';
import { startK8ts } from '../../helpers/k8ts-process.js';
import { isRoot, podNetworkRouted, processesHolding, processesMentioning, until } from './fixture.js';
import { freePort } from '../../helpers/ports.js';


test('k8ts server --runtime exec: node isolation condition a pod resolv.conf through kubectl, a hostPort', { skip: !isRoot && 'needs root' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-exec-server-'));
  const node = `exec-e2e-${randomBytes(3).toString('hex')}`;
  const server = await startK8ts(['server', '--data-dir', dir, '--port', '0', '--runtime', 'exec', '--node-name', node, '--kubelet-port', '0', '--pod-cidr', '10.244.209.0/24', '--disable-kube-proxy']);
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const runtimeDir = join(dir, 'kubelet', 'exec-runtime');
  try {
    assert.match(server.output(), new RegExp(`kubelet registered node ${node} \\(runtime exec`));
    const conditions = await until(async () => {
      const r = await kubectl(kubeconfig, ['get', 'node', node, '-o', 'jsonpath={range .status.conditions[*]}{.type}={.status}/{.reason}{"\\n"}{end}']);
      return r.code === 0 && /^Ready=True/m.test(r.stdout) ? r.stdout : undefined;
    }, 100);
    assert.match(conditions, /^PodIsolation=True\/PodNamespaces$/m);
    assert.match(await kubectlOk(kubeconfig, ['describe', 'node', node]), /PodIsolation\s+True .* PodNamespaces\s+each pod has its own PID, UTS, IPC, mount and network namespaces/);

    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'dns', namespace: 'default' },
      spec: {
        restartPolicy: 'Never',
        dnsPolicy: 'None',
        dnsConfig: { nameservers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: [{ name: 'ndots', value: '5' }] },
        containers: [{ name: 'show', image: 'busybox', command: ['cat', '/etc/resolv.conf'] }],
      },
    };
    await kubectlOk(kubeconfig, ['create', '-f', '-'], { input: JSON.stringify(pod) });
    await until(async () => (await kubectl(kubeconfig, ['get', 'pod', 'dns', '-o', 'jsonpath={.status.phase}'])).stdout === 'Succeeded', 100);
    assert.equal(await kubectlOk(kubeconfig, ['logs', 'dns']), 'search default.svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');
    await kubectlOk(kubeconfig, ['delete', 'pod', 'dns', '--wait=true']);

    // A hostPort of a pod in its own network namespace answers on the host's loopback.
    const docroot = join(dir, 'www');
    await mkdir(docroot);
    await writeFile(join(docroot, 'index.html'), 'served from a hostPort\n');
    const hostPort = await freePort();
    const web = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: { containers: [{ name: 'httpd', image: 'busybox', command: ['httpd', '-f', '-p', '8080', '-h', docroot], ports: [{ containerPort: 8080, hostPort }] }] },
    };
    await kubectlOk(kubeconfig, ['create', '-f', '-'], { input: JSON.stringify(web) });
    const body = await until(async () => {
      const res = await fetch(`http://127.0.0.1:${hostPort}/`).catch(() => undefined);
      return res?.ok ? res.text() : undefined;
    }, 100);
    assert.equal(body, 'served from a hostPort\n');
    await kubectlOk(kubeconfig, ['delete', 'pod', 'web', '--wait=true']);
    // The kubelet removes what the runtime still holds of the deleted pod (its stopped sandbox) on its own time.
    await until(() => readdirSync(join(runtimeDir, 'sandboxes')).length === 0, 100);
  } finally {
    assert.equal(await server.stop(), 0);
    const left = [...processesMentioning(runtimeDir), ...processesHolding(runtimeDir)];
    const network = podNetworkRouted(defaultNetworkName(node));
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(left, [], 'no process of the exec runtime is left');
    assert.equal(network, false, 'the node\'s pod network is removed');
  }
});
