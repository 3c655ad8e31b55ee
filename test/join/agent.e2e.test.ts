import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { REPO, startK8ts, type K8tsProcess } from '../helpers/k8ts-process.js';
import { until } from '../helpers/wait.js';
import { parseJoinToken } from '../../src/join/token.js';
import { renderKubeconfig } from '../../src/apiserver/kubeconfig.js';

// `k8ts agent` joining a `k8ts server` on loopback, both real processes: the
// node-token, discovery against the CA pin, the CSR the controller manager
// approves and signs, the node identity that follows, restarts without the
// token, and the joins that must fail (and leave no Node behind).

interface Server {
  proc: K8tsProcess;
  dir: string;
  kubeconfig: string;
  url: string;
  token: string;
}

async function startServer(extra: string[] = []): Promise<Server> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-join-'));
  const proc = await startK8ts(['server', '--data-dir', join(dir, 'server'), '--port', '0', '--disable-agent', '--disable-dns', ...extra]);
  const m = /to add a node: k8ts agent --server (\S+) --token \$\(cat (\S+)\)/.exec(proc.output());
  assert.ok(m, `the server prints the join command:\n${proc.output()}`);
  const token = (await readFile(m[2]!, 'utf8')).trim();
  return { proc, dir, kubeconfig: join(dir, 'server', 'kubeconfig.yaml'), url: m[1]!, token };
}

/** Agents run without the proxy (it would write host iptables rules as root) unless a test asks for the userspace one. */
function agentArgs(s: Server, name: string, more: string[]): string[] {
  const proxy = more.includes('--proxy-mode') ? [] : ['--disable-kube-proxy'];
  return ['agent', '--server', s.url, '--node-name', name, '--runtime', 'fake', '--kubelet-port', '0', '--data-dir', join(s.dir, name), ...proxy, ...more];
}

/** An agent that must fail: its exit code and what it printed. */
function failingAgent(s: Server, name: string, token: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, ['bin/k8ts.js', ...agentArgs(s, name, ['--token', token])], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, K8TS_LOG_LEVEL: 'warn' } });
  let stderr = '';
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((r) => child.once('exit', (code) => r({ code, stderr, stdout })));
}

async function nodeReady(kubeconfig: string, name: string): Promise<true | undefined> {
  const r = await kubectl(kubeconfig, ['get', 'node', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
  return r.stdout.trim() === 'True' ? true : undefined;
}

async function nodeExists(kubeconfig: string, name: string): Promise<boolean> {
  const r = await kubectl(kubeconfig, ['get', 'node', name, '--ignore-not-found', '-o', 'name']);
  return r.stdout.trim() !== '';
}

/** A kubeconfig that talks as the agent's saved identity. */
async function agentKubeconfig(s: Server, name: string): Promise<string> {
  const pki = join(s.dir, name, 'agent', 'pki');
  const both = await readFile(join(pki, 'kubelet-client-current.pem'), 'utf8');
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/.exec(both)![0];
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----\n/.exec(both)![0];
  const path = join(s.dir, `${name}.kubeconfig`);
  const b64 = (x: string) => Buffer.from(x).toString('base64');
  await writeFile(path, renderKubeconfig({ server: s.url, caData: b64(await readFile(join(pki, 'ca.crt'), 'utf8')), clientCertData: b64(cert), clientKeyData: b64(key) }), { mode: 0o600 });
  return path;
}

const SERIAL = (pem: string) => execFileSync('openssl', ['x509', '-noout', '-serial'], { input: pem, encoding: 'utf8' }).trim();

describe('k8ts agent joins a k8ts server', () => {
  let s: Server;
  const agents: K8tsProcess[] = [];

  before(async () => {
    s = await startServer();
  });

  after(async () => {
    for (const a of agents) await a.stop();
    await s?.proc.stop();
    if (s) await rm(s.dir, { recursive: true, force: true });
  });

  test('the server writes DIR/node-token (K10<ca-hash>::id.secret, mode 0600) backed by a bootstrap-token Secret', async () => {
    const t = parseJoinToken(s.token);
    assert.equal((await stat(join(s.dir, 'server', 'node-token'))).mode & 0o077, 0, 'node-token is private to its owner');
    const caHash = execFileSync('sh', ['-c', `openssl x509 -in ${join(s.dir, 'server', 'pki', 'ca.crt')} -outform DER | sha256sum`], { encoding: 'utf8' }).split(' ')[0];
    assert.equal(t.caHash, caHash);
    const secret = JSON.parse(await kubectlOk(s.kubeconfig, ['get', 'secret', '-n', 'kube-system', `bootstrap-token-${t.tokenId}`, '-o', 'json'])) as { type: string; data: Record<string, string> };
    assert.equal(secret.type, 'bootstrap.kubernetes.io/token');
    const d = (k: string) => Buffer.from(secret.data[k] ?? '', 'base64').toString();
    assert.equal(d('token-secret'), t.tokenSecret);
    assert.equal(d('usage-bootstrap-authentication'), 'true');
    assert.equal(d('usage-bootstrap-signing'), 'true');
    assert.equal(d('auth-extra-groups'), 'system:bootstrappers:k8ts:default-node-token');
    assert.equal(d('expiration'), '', 'no expiration by default, as k3s');
    const info = JSON.parse(await kubectlOk(s.kubeconfig, ['get', 'configmap', '-n', 'kube-public', 'cluster-info', '-o', 'json'])) as { data: Record<string, string> };
    assert.ok(info.data[`jws-kubeconfig-${t.tokenId}`], 'the bootstrap signer signed cluster-info with the token');
  });

  test('an agent joins: CSR approved and issued, Node Ready, and it talks as system:node:NAME under NodeRestriction', async () => {
    const a = await startK8ts(agentArgs(s, 'join-a', ['--token', s.token]), /kubelet registered node join-a/);
    agents.push(a);
    assert.match(a.output(), /the server's CA matches the token/);
    assert.match(a.output(), /certificate signing request node-csr-\w+ created; waiting/);
    await until('node join-a Ready', () => nodeReady(s.kubeconfig, 'join-a'));
    const id = parseJoinToken(s.token).tokenId;
    const csrs = await kubectlOk(s.kubeconfig, ['get', 'csr']);
    assert.match(csrs, /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION$/m);
    assert.match(csrs, new RegExp(`node-csr-\\w+\\s+\\S+\\s+kubernetes.io/kube-apiserver-client-kubelet\\s+system:bootstrap:${id}\\s+<none>\\s+Approved,Issued`));
    const csr = JSON.parse(await kubectlOk(s.kubeconfig, ['get', 'csr', '-o', 'json'])) as { items: { spec: { groups: string[] }; status: { conditions: { type: string; reason: string; message: string }[] } }[] };
    const approved = csr.items[0]!.status.conditions.find((c) => c.type === 'Approved')!;
    assert.equal(approved.reason, 'AutoApproved');
    assert.equal(approved.message, 'Auto approving kubelet client certificate after SubjectAccessReview.');
    assert.ok(csr.items[0]!.spec.groups.includes('system:bootstrappers:k8ts:default-node-token'));

    const nodeKc = await agentKubeconfig(s, 'join-a');
    const who = JSON.parse(await kubectlOk(nodeKc, ['auth', 'whoami', '-o', 'json'])) as { status: { userInfo: { username: string; groups: string[] } } };
    assert.equal(who.status.userInfo.username, 'system:node:join-a');
    assert.ok(who.status.userInfo.groups.includes('system:nodes'));
    await kubectlOk(s.kubeconfig, ['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'someone-else' } }) });
    const other = await kubectl(nodeKc, ['label', 'node', 'someone-else', 'x=y']);
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /forbidden/i);
    const own = await kubectl(nodeKc, ['label', 'node', 'join-a', 'node-restriction.kubernetes.io/x=y']);
    assert.notEqual(own.code, 0, 'NodeRestriction keeps a node from its restricted labels');
    assert.match(own.stderr, /forbidden/i);
    await kubectlOk(s.kubeconfig, ['delete', 'node', 'someone-else']);
  });

  test('a restarted agent re-uses its certificate without the token', async () => {
    const first = agents.pop()!;
    await first.stop();
    const before = await readFile(join(s.dir, 'join-a', 'agent', 'pki', 'kubelet-client-current.pem'), 'utf8');
    const again = await startK8ts(agentArgs(s, 'join-a', []), /kubelet registered node join-a/);
    agents.push(again);
    assert.match(again.output(), /re-using the node certificate .* no token needed/);
    const after = await readFile(join(s.dir, 'join-a', 'agent', 'pki', 'kubelet-client-current.pem'), 'utf8');
    assert.equal(SERIAL(after), SERIAL(before));
    await until('node join-a Ready after the restart', () => nodeReady(s.kubeconfig, 'join-a'));
  });

  test('the agent\'s proxy runs as system:kube-proxy with a certificate the node asked for', async () => {
    const p = await startK8ts(agentArgs(s, 'join-p', ['--token', s.token, '--proxy-mode', 'userspace']), /proxy: userspace listeners in place/);
    agents.push(p);
    const csrs = JSON.parse(await kubectlOk(s.kubeconfig, ['get', 'csr', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { username: string; signerName: string }; status: { conditions?: { type: string; message: string }[]; certificate?: string } }[] };
    const proxyCsr = csrs.items.find((c) => c.metadata.name.startsWith('proxy-csr-') && c.spec.username === 'system:node:join-p');
    assert.ok(proxyCsr, 'the node asked for the proxy certificate');
    assert.equal(proxyCsr.spec.signerName, 'kubernetes.io/kube-apiserver-client');
    assert.equal(proxyCsr.status.conditions?.[0]?.message, 'Auto approving kube-proxy client certificate for a node after SubjectAccessReview.');
    const pem = await readFile(join(s.dir, 'join-p', 'agent', 'pki', 'kube-proxy-client-current.pem'), 'utf8');
    assert.match(execFileSync('openssl', ['x509', '-noout', '-subject'], { input: pem, encoding: 'utf8' }), /CN = system:kube-proxy/);
    assert.equal(await p.stop(), 0);
    agents.pop();
  });

  test('bad joins: wrong secret, tampered CA hash, expired token — one line each, exit 1, no Node', async () => {
    const t = parseJoinToken(s.token);
    const wrongSecret = `K10${t.caHash}::${t.tokenId}.${'x'.repeat(16)}`;
    const tampered = `K10${'0'.repeat(64)}::${t.tokenId}.${t.tokenSecret}`;
    const past = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await kubectlOk(s.kubeconfig, ['create', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'bootstrap-token-old123', namespace: 'kube-system' },
        type: 'bootstrap.kubernetes.io/token',
        stringData: { 'token-id': 'old123', 'token-secret': 'abcdefghijklmnop', expiration: past, 'usage-bootstrap-authentication': 'true', 'usage-bootstrap-signing': 'true', 'auth-extra-groups': 'system:bootstrappers:k8ts:default-node-token' },
      }),
    });
    const expired = `K10${t.caHash}::old123.abcdefghijklmnop`;
    const cases: [string, string, RegExp][] = [
      ['bad-secret', wrongSecret, /^k8ts: the join token's secret is wrong/],
      ['bad-hash', tampered, /^k8ts: the server's CA does not match the join token: it hashes to sha256:[0-9a-f]{64}, the token pins sha256:0{64}/],
      ['bad-expired', expired, /^k8ts: the join token \(id old123\) is invalid for this cluster or has expired/],
    ];
    for (const [name, token, want] of cases) {
      const r = await failingAgent(s, name, token);
      assert.equal(r.code, 1, `${name} exits 1`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${name}: one line on stderr, got:\n${r.stderr}`);
      assert.match(lines[0]!, want);
      assert.match(r.stdout, /fetching the cluster CA/, 'progress lines say what it was doing');
      assert.equal(await nodeExists(s.kubeconfig, name), false, `no Node ${name}`);
    }
    // The bootstrap authenticator itself refuses the expired token, whatever cluster-info says.
    const kc = join(s.dir, 'expired.kubeconfig');
    await writeFile(kc, renderKubeconfig({ server: s.url, caData: Buffer.from(await readFile(join(s.dir, 'server', 'pki', 'ca.crt'))).toString('base64'), token: 'old123.abcdefghijklmnop' }));
    const refused = await kubectl(kc, ['get', 'csr']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Unauthorized/);
  });

  test('CSR API with kubectl: validation errors, kubectl certificate approve of a kubectl-made request, deny', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'k8ts-csr-'));
    try {
      execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k'), '-subj', '/CN=alice/O=dev', '-out', join(dir, 'r')], { stdio: 'ignore' });
      const request = Buffer.from(await readFile(join(dir, 'r'))).toString('base64');
      const csr = (name: string, spec: Record<string, unknown>) => JSON.stringify({ apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name }, spec: { request, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], ...spec } });

      const bad = await kubectl(s.kubeconfig, ['create', '-f', '-'], { input: csr('bad-pem', { request: Buffer.from('hello\n').toString('base64') }) });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /The CertificateSigningRequest "bad-pem" is invalid: spec.request: Invalid value: \[\]byte\{0x68, 0x65, 0x6c, 0x6c, 0x6f, 0xa\}: PEM block type must be CERTIFICATE REQUEST/);
      const bad2 = await kubectl(s.kubeconfig, ['create', '-f', '-'], { input: csr('bad-fields', { signerName: 'foo', usages: ['bogus'], expirationSeconds: 60 }) });
      assert.match(bad2.stderr, /spec.usages\[0\]: Unsupported value: "bogus"/);
      assert.match(bad2.stderr, /spec.signerName: Invalid value: "foo": must be a fully qualified domain and path of the form 'example.com\/signer-name'/);
      assert.match(bad2.stderr, /spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds \(10 minutes\)/);
      const masters = await kubectl(s.kubeconfig, ['create', '-f', '-'], { input: csr('masters', { request: Buffer.from(execFileSync('openssl', ['req', '-new', '-key', join(dir, 'k'), '-subj', '/CN=eve/O=system:masters'])).toString('base64') }) });
      assert.match(masters.stderr, /use of kubernetes.io\/kube-apiserver-client signer with system:masters group is not allowed/);

      await kubectlOk(s.kubeconfig, ['create', '-f', '-'], { input: csr('alice', { expirationSeconds: 86400 }) });
      assert.match(await kubectlOk(s.kubeconfig, ['get', 'csr', 'alice']), /alice\s+\S+\s+kubernetes.io\/kube-apiserver-client\s+kubernetes-admin\s+24h\s+Pending/);
      assert.match(await kubectlOk(s.kubeconfig, ['certificate', 'approve', 'alice']), /certificatesigningrequest.certificates.k8s.io\/alice approved/);
      await until('alice issued', async () => ((await kubectlOk(s.kubeconfig, ['get', 'csr', 'alice'])).includes('Approved,Issued') ? true : undefined));
      const pem = Buffer.from(await kubectlOk(s.kubeconfig, ['get', 'csr', 'alice', '-o', 'jsonpath={.status.certificate}']), 'base64').toString();
      const subject = execFileSync('openssl', ['x509', '-noout', '-subject', '-enddate'], { input: pem, encoding: 'utf8' });
      assert.match(subject, /O = dev, CN = alice/);
      const denied = await kubectl(s.kubeconfig, ['certificate', 'deny', 'alice']);
      assert.match(denied.stderr, /already Approved/);

      await kubectlOk(s.kubeconfig, ['create', '-f', '-'], { input: csr('bob', {}) });
      await kubectlOk(s.kubeconfig, ['certificate', 'deny', 'bob']);
      assert.match(await kubectlOk(s.kubeconfig, ['get', 'csr', 'bob']), /bob\s+\S+\s+kubernetes.io\/kube-apiserver-client\s+kubernetes-admin\s+<none>\s+Denied/);
      // The spec cannot change after create.
      await kubectlOk(s.kubeconfig, ['patch', 'csr', 'bob', '--type', 'merge', '-p', '{"spec":{"signerName":"example.com/other"}}']);
      assert.equal(await kubectlOk(s.kubeconfig, ['get', 'csr', 'bob', '-o', 'jsonpath={.spec.signerName}']), 'kubernetes.io/kube-apiserver-client');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('@kubernetes/client-node reads CSRs through CertificatesV1Api', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(s.kubeconfig);
    const api = kc.makeApiClient(k8s.CertificatesV1Api);
    const list = await api.listCertificateSigningRequest();
    const node = list.items.find((c) => c.spec.signerName === 'kubernetes.io/kube-apiserver-client-kubelet');
    assert.ok(node, 'the node CSR is listed');
    assert.ok(node.status?.certificate, 'with its certificate');
    assert.equal(node.status?.conditions?.[0]?.type, 'Approved');
    const one = await api.readCertificateSigningRequest({ name: node.metadata!.name! });
    assert.equal(one.spec.username, node.spec.username);
  });
});

describe('k8ts agent rotates its client certificate', () => {
  test('with --cluster-signing-duration 3m the agent renews as itself (selfnodeclient) and stays Ready', async () => {
    // Upstream's signing policy backdates notBefore by 5 minutes and the manager rotates at 70–84% of
    // notAfter−notBefore, so a 3 minute certificate is renewed 36–100 s after it is issued.
    const s = await startServer(['--cluster-signing-duration', '3m']);
    let a: K8tsProcess | undefined;
    try {
      a = await startK8ts(agentArgs(s, 'rot', ['--token', s.token]), /kubelet registered node rot/);
      const first = await readFile(join(s.dir, 'rot', 'agent', 'pki', 'kubelet-client-current.pem'), 'utf8');
      await until('the certificate rotated', async () => (/node certificate rotated/.test(a!.output()) ? true : undefined), 240_000, 500);
      const second = await readFile(join(s.dir, 'rot', 'agent', 'pki', 'kubelet-client-current.pem'), 'utf8');
      assert.notEqual(SERIAL(second), SERIAL(first));
      const csrs = JSON.parse(await kubectlOk(s.kubeconfig, ['get', 'csr', '-o', 'json'])) as { items: { spec: { username: string }; status: { conditions: { type: string; message: string }[]; certificate?: string } }[] };
      const renewal = csrs.items.find((c) => c.spec.username === 'system:node:rot');
      assert.ok(renewal, 'the renewal was requested by the node itself');
      assert.equal(renewal.status.conditions[0]!.message, 'Auto approving self kubelet client certificate after SubjectAccessReview.');
      assert.ok(renewal.status.certificate);
      // The kubelet keeps writing with the new certificate: its Lease moves on.
      const lease = async () => (await kubectlOk(s.kubeconfig, ['get', 'lease', '-n', 'kube-node-lease', 'rot', '-o', 'jsonpath={.spec.renewTime}'])).trim();
      const seen = await lease();
      await until('the node Lease renewed after rotation', async () => ((await lease()) !== seen ? true : undefined), 120_000, 1000);
      assert.ok(await nodeReady(s.kubeconfig, 'rot'));
    } finally {
      await a?.stop();
      await s.proc.stop();
      await rm(s.dir, { recursive: true, force: true });
    }
  });
});
