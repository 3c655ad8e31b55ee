import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startK8ts, type K8tsProcess } from '../helpers/k8ts-process.js';
import { until } from '../helpers/wait.js';
import { renderKubeconfig } from '../../src/apiserver/kubeconfig.js';
import { createEcCsr } from '../../src/pki/csr.js';

// A joined node's local-path provisioner identity, asked for as the node
// through the CSR API (as `k8ts agent` does) and then used with kubectl and
// @kubernetes/client-node: csrapproving gives a node only its own
// system:k8ts:local-path-provisioner:NODE, and NodeRestriction lets that write
// only the PersistentVolumes of the node's own disk. The server's own
// provisioner identity keeps its cluster-wide reach.

const NODE = 'lp-a';
const OTHER = 'lp-b';
const PROVISIONER = 'k8ts.io/local-path';
const b64 = (x: string) => Buffer.from(x).toString('base64');

interface Pv {
  name: string;
  node: string;
  annotatedNode?: string;
  className?: string;
  claim?: { name: string; uid: string };
  affinity?: boolean;
}

/** A PV as the node's provisioner writes it (src/kubelet/volumes/local-path-provisioner.ts), with the parts a test changes. */
function pv(o: Pv): object {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: o.name, annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER, 'k8ts.io/local-path-node': o.annotatedNode ?? o.node } },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: o.className ?? 'local-path',
      hostPath: { path: `/var/lib/k8ts-test/${o.name}`, type: 'DirectoryOrCreate' },
      ...(o.affinity === false ? {} : { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [o.node] }] }] } } }),
      ...(o.claim ? { claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'default', name: o.claim.name, uid: o.claim.uid } } : {}),
    },
  };
}

describe('a joined node\'s local-path provisioner identity', () => {
  let dir: string;
  let server: K8tsProcess | undefined;
  let agent: K8tsProcess | undefined;
  let admin: string;
  let url: string;
  let caPem: string;
  let provisioner: string;

  /** A kubeconfig for a certificate of this cluster's CA. */
  const kubeconfigFor = async (name: string, certPem: string, keyPem: string): Promise<string> => {
    const path = join(dir, `${name}.kubeconfig`);
    await writeFile(path, renderKubeconfig({ server: url, caData: b64(caPem), clientCertData: b64(certPem), clientKeyData: b64(keyPem) }), { mode: 0o600 });
    return path;
  };

  /** A CSR for the kube-apiserver-client signer, created with kubectl as `kc`. */
  const requestAs = async (kc: string, name: string, commonName: string, organizations: string[]): Promise<string> => {
    const { csrPem, keyPem } = await createEcCsr({ commonName, organizations });
    const csr = { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name }, spec: { request: b64(csrPem), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['digital signature', 'client auth'] } };
    await kubectlOk(kc, ['create', '-f', '-'], { input: JSON.stringify(csr) });
    return keyPem;
  };

  /** A claim the scheduler gave to `node` (as volume.kubernetes.io/selected-node says); its uid. */
  const claimOn = async (name: string, node: string): Promise<string> => {
    const pvc = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default', annotations: { 'volume.kubernetes.io/selected-node': node } }, spec: { storageClassName: 'local-path', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    await kubectlOk(admin, ['create', '-f', '-'], { input: JSON.stringify(pvc) });
    return kubectlOk(admin, ['get', 'pvc', name, '-o', 'jsonpath={.metadata.uid}']);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8ts-local-path-id-'));
    // The server's own node (fake runtime, no proxy) is what gives the server its own provisioner identity.
    server = await startK8ts(['server', '--data-dir', join(dir, 'server'), '--port', '0', '--kubelet-port', '0', '--runtime', 'fake', '--node-name', 'lp-server', '--disable-kube-proxy', '--disable-dns']);
    const m = /to add a node: k8ts agent --server (\S+) --token \$\(cat (\S+)\)/.exec(server.output());
    assert.ok(m, `the server prints the join command:\n${server.output()}`);
    url = m[1]!;
    const token = (await readFile(m[2]!, 'utf8')).trim();
    admin = join(dir, 'server', 'kubeconfig.yaml');
    caPem = await readFile(join(dir, 'server', 'pki', 'ca.crt'), 'utf8');
    agent = await startK8ts(['agent', '--server', url, '--token', token, '--node-name', NODE, '--runtime', 'fake', '--kubelet-port', '0', '--data-dir', join(dir, NODE), '--disable-kube-proxy'], new RegExp(`kubelet registered node ${NODE}`));
    const both = await readFile(join(dir, NODE, 'agent', 'pki', 'kubelet-client-current.pem'), 'utf8');
    const nodeKc = await kubeconfigFor(NODE, /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/.exec(both)![0], /-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----\n/.exec(both)![0]);

    // What a node must not be given: another node's provisioner identity, and the server's.
    await requestAs(nodeKc, 'lp-other-node', `system:k8ts:local-path-provisioner:${OTHER}`, ['system:k8ts:local-path-provisioners']);
    await requestAs(nodeKc, 'lp-server-identity', 'system:k8ts:local-path-provisioner', []);
    const key = await requestAs(nodeKc, 'lp-own', `system:k8ts:local-path-provisioner:${NODE}`, ['system:k8ts:local-path-provisioners']);
    const cert = await until('the node\'s local-path CSR approved and issued', async () => (await kubectlOk(admin, ['get', 'csr', 'lp-own', '-o', 'jsonpath={.status.certificate}'])) || undefined);
    provisioner = await kubeconfigFor('provisioner', Buffer.from(cert, 'base64').toString(), key);
    await until('the default local-path StorageClass', async () => ((await kubectl(admin, ['get', 'storageclass', 'local-path'])).code === 0 ? true : undefined));
  });

  after(async () => {
    await agent?.stop();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('csrapproving approves a node\'s request for its own provisioner identity only', async () => {
    const csrs = JSON.parse(await kubectlOk(admin, ['get', 'csr', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { username: string }; status?: { conditions?: { type: string; message: string }[] } }[] };
    const byName = new Map(csrs.items.map((c) => [c.metadata.name, c]));
    assert.equal(byName.get('lp-own')?.spec.username, `system:node:${NODE}`);
    assert.equal(byName.get('lp-own')?.status?.conditions?.find((c) => c.type === 'Approved')?.message, 'Auto approving local-path provisioner client certificate for a node after SubjectAccessReview.');
    assert.deepEqual(byName.get('lp-other-node')?.status?.conditions ?? [], [], 'another node\'s identity is left for a person');
    assert.deepEqual(byName.get('lp-server-identity')?.status?.conditions ?? [], [], 'the server\'s cluster-wide identity is left for a person');
    const who = JSON.parse(await kubectlOk(provisioner, ['auth', 'whoami', '-o', 'json'])) as { status: { userInfo: { username: string; groups: string[] } } };
    assert.equal(who.status.userInfo.username, `system:k8ts:local-path-provisioner:${NODE}`);
    assert.ok(who.status.userInfo.groups.includes('system:k8ts:local-path-provisioners'));
  });

  test('it creates and deletes a volume of its own disk for a claim scheduled to its node', async () => {
    const uid = await claimOn('own-claim', NODE);
    await kubectlOk(provisioner, ['create', '-f', '-'], { input: JSON.stringify(pv({ name: 'own-pv', node: NODE, claim: { name: 'own-claim', uid } })) });
    assert.equal(await kubectlOk(admin, ['get', 'pv', 'own-pv', '-o', 'jsonpath={.metadata.annotations.k8ts\\.io/local-path-node}']), NODE);
    await kubectlOk(provisioner, ['delete', 'pv', 'own-pv', '--wait=false']);
    // Once bound, pv-protection keeps it Terminating; before, it goes at once: either way the delete was admitted.
    const r = await kubectl(admin, ['get', 'pv', 'own-pv', '-o', 'jsonpath={.metadata.deletionTimestamp}']);
    assert.ok(r.code !== 0 || r.stdout !== '', r.stdout + r.stderr);
  });

  test('creating any other volume is Forbidden, saying what a node\'s provisioner may write', async () => {
    const uid = await claimOn('claim-a', NODE);
    const otherUid = await claimOn('claim-b', OTHER);
    const cases: [Pv, string][] = [
      [{ name: 'pv-other-node', node: OTHER, claim: { name: 'claim-a', uid } }, `can only create persistentvolumes whose spec.nodeAffinity pins them to itself (kubernetes.io/hostname In [${NODE}])`],
      [{ name: 'pv-no-affinity', node: NODE, affinity: false, claim: { name: 'claim-a', uid } }, 'can only create persistentvolumes whose spec.nodeAffinity pins them to itself'],
      [{ name: 'pv-other-annotation', node: NODE, annotatedNode: OTHER, claim: { name: 'claim-a', uid } }, `can only create persistentvolumes annotated pv.kubernetes.io/provisioned-by=${PROVISIONER} and k8ts.io/local-path-node=${NODE}`],
      [{ name: 'pv-other-class', node: NODE, className: 'manual', claim: { name: 'claim-a', uid } }, `can only create persistentvolumes of a StorageClass whose provisioner is "${PROVISIONER}", not "manual"`],
      [{ name: 'pv-unbound', node: NODE }, 'can only create persistentvolumes with a spec.claimRef naming a claim and its uid'],
      [{ name: 'pv-other-claim', node: NODE, claim: { name: 'claim-b', uid: otherUid } }, 'can only create persistentvolumes for claims whose volume.kubernetes.io/selected-node is itself'],
    ];
    for (const [o, why] of cases) {
      const r = await kubectl(provisioner, ['create', '-f', '-'], { input: JSON.stringify(pv(o)) });
      assert.notEqual(r.code, 0, o.name);
      assert.ok(r.stderr.includes(`Error from server (Forbidden): error when creating "STDIN": persistentvolumes "${o.name}" is forbidden: local-path provisioner of node "${NODE}" ${why}`), `${o.name}: ${r.stderr}`);
      assert.notEqual((await kubectl(admin, ['get', 'pv', o.name])).code, 0, `${o.name} was not stored`);
    }

    // The same refusal through @kubernetes/client-node: a 403 Status with reason Forbidden.
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(provisioner);
    const api = kc.makeApiClient(k8s.CoreV1Api);
    await assert.rejects(
      api.createPersistentVolume({ body: pv({ name: 'pv-client-node', node: OTHER, claim: { name: 'claim-a', uid } }) as k8s.V1PersistentVolume }),
      (err: unknown) => {
        const e = err as { code?: number; body?: unknown };
        assert.equal(e.code, 403);
        const status = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as { reason?: string; message?: string };
        assert.equal(status.reason, 'Forbidden');
        assert.match(status.message ?? '', new RegExp(`^persistentvolumes "pv-client-node" is forbidden: local-path provisioner of node "${NODE}" can only create persistentvolumes whose spec\\.nodeAffinity pins them to itself`));
        return true;
      },
    );
  });

  test('it cannot delete or change volumes that are not its own', async () => {
    await kubectlOk(admin, ['create', '-f', '-'], { input: JSON.stringify(pv({ name: 'pv-of-b', node: OTHER })) });
    await kubectlOk(admin, ['create', '-f', '-'], { input: JSON.stringify(pv({ name: 'pv-shared', node: NODE, affinity: false })) });
    for (const name of ['pv-of-b', 'pv-shared']) {
      const r = await kubectl(provisioner, ['delete', 'pv', name, '--wait=false']);
      assert.notEqual(r.code, 0, name);
      assert.match(r.stderr, new RegExp(`Error from server \\(Forbidden\\): persistentvolumes "${name}" is forbidden: local-path provisioner of node "${NODE}" can only delete persistentvolumes whose spec\\.nodeAffinity pins them to itself`));
    }
    const label = await kubectl(provisioner, ['label', 'pv', 'pv-of-b', 'x=y']);
    assert.notEqual(label.code, 0);
    assert.match(label.stderr, new RegExp(`User "system:k8ts:local-path-provisioner:${NODE}" cannot patch resource "persistentvolumes"`));
    const claim = await kubectl(provisioner, ['annotate', 'pvc', 'claim-a', 'x=y']);
    assert.notEqual(claim.code, 0, 'a node\'s provisioner never updates claims');
    assert.match(claim.stderr, /cannot patch resource "persistentvolumeclaims"/);
    const all = await kubectl(provisioner, ['delete', 'pv', '--all', '--wait=false']);
    assert.notEqual(all.code, 0);
    for (const name of ['pv-of-b', 'pv-shared']) assert.equal((await kubectl(admin, ['get', 'pv', name, '-o', 'jsonpath={.metadata.deletionTimestamp}'])).stdout, '', `${name} untouched`);
  });

  test('the server\'s own provisioner identity still writes volumes for any node', async () => {
    const server = join(dir, 'server', 'local-path-provisioner.kubeconfig');
    const who = JSON.parse(await kubectlOk(server, ['auth', 'whoami', '-o', 'json'])) as { status: { userInfo: { username: string } } };
    assert.equal(who.status.userInfo.username, 'system:k8ts:local-path-provisioner');
    await kubectlOk(server, ['create', '-f', '-'], { input: JSON.stringify(pv({ name: 'pv-by-server', node: OTHER, affinity: false })) });
    await kubectlOk(server, ['delete', 'pv', 'pv-by-server', 'pv-of-b', '--wait=false']);
    // Unbound, so pv-protection lets them go at once; either way the delete was admitted.
    const r = await kubectl(admin, ['get', 'pv', 'pv-of-b', '-o', 'jsonpath={.metadata.deletionTimestamp}']);
    assert.ok(r.code !== 0 || r.stdout !== '', r.stdout + r.stderr);
  });
});
