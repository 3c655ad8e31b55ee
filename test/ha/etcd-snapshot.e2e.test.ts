import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { etcdSkip } from '../helpers/etcd.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { isRoot, startNetnsNetwork, type NetnsNetwork } from '../helpers/netns-hosts.js';

// `k8ts etcd-snapshot save` on a running --cluster-init server, then
// `restore` with the server stopped: the server comes back on a one-member
// cluster holding what was there at the snapshot, and nothing written after.
// The host is a network namespace so the member's fixed ports are its own.

let net: NetnsNetwork;
const skip = !isRoot ? 'needs root (network namespaces)' : etcdSkip();

before(async () => {
  if (!skip) net = await startNetnsNetwork({ hosts: 1, net: '10.198', tag: 'k8e' });
});
after(async () => {
  await net?.close();
});

test('etcd-snapshot save and restore: objects from before the snapshot come back, later ones do not', { skip }, async () => {
  const h = net.hosts[0]!;
  const dataDir = join(h.dir, 'data');
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const serverArgs = ['server', '--data-dir', dataDir, '--bind-address', h.ip, '--disable-agent', '--disable-dns'];
  let srv = net.k8ts(h, [...serverArgs, '--cluster-init'], 'server-1.log');
  await srv.waitFor(/k8ts server is ready/, 'server');
  await kubectlOk(kubeconfig, ['create', 'configmap', 'before', '--from-literal', 'k=v']);
  const rvBefore = await kubectlOk(kubeconfig, ['get', 'configmap', 'before', '-o', 'jsonpath={.metadata.resourceVersion}']);

  const save = net.k8ts(h, ['etcd-snapshot', 'save', '--data-dir', dataDir, '--name', 'test'], 'save.log');
  assert.equal(await save.exited, 0, save.output());
  const m = /snapshot saved: (\S+)/.exec(save.output());
  assert.ok(m, save.output());
  assert.match(m[1]!, new RegExp(`^${join(dataDir, 'db', 'snapshots')}/test-[a-z0-9.-]+-[0-9a-f]{8}-\\d+$`));
  assert.deepEqual((await readdir(join(dataDir, 'db', 'snapshots'))).length, 1);

  await kubectlOk(kubeconfig, ['create', 'configmap', 'after', '--from-literal', 'k=v']);
  // Restoring under a running server is refused.
  const early = net.k8ts(h, ['etcd-snapshot', 'restore', m[1]!, '--data-dir', dataDir], 'restore-early.log');
  assert.equal(await early.exited, 1);
  assert.match(early.output(), /stop k8ts server on this data dir before restoring/);

  srv.child.kill('SIGTERM');
  assert.equal(await srv.exited, 0, srv.output());
  const restore = net.k8ts(h, ['etcd-snapshot', 'restore', m[1]!, '--data-dir', dataDir], 'restore.log');
  assert.equal(await restore.exited, 0, restore.output());
  assert.match(restore.output(), /restored .* as a new one-member etcd cluster/);
  assert.match(restore.output(), /previous member data is kept in .*data\.old-\d+/);

  // A plain `k8ts server` on the data dir runs its managed member again, now the restored one.
  srv = net.k8ts(h, serverArgs, 'server-2.log');
  await srv.waitFor(/k8ts server is ready/, 'server after restore');
  assert.match(srv.output(), /has data in .*: starting it as it was/);
  assert.equal(await kubectlOk(kubeconfig, ['get', 'configmap', 'before', '-o', 'jsonpath={.metadata.resourceVersion}']), rvBefore);
  const gone = await kubectl(kubeconfig, ['get', 'configmap', 'after']);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /NotFound|not found/);
  // And it takes writes.
  await kubectlOk(kubeconfig, ['create', 'configmap', 'after-restore']);
});
