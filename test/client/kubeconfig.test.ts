import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeconfig, inClusterConfig, loadDefaultConfig, parseKubeconfig, mergeKubeconfigs, resolveContext } from '../../src/client/kubeconfig.js';
import { FileTokenSource } from '../../src/client/token.js';
import { FakeClock } from '../../src/client/clock.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

const KUBECONFIG = `
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: c1
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: ${b64('CA-PEM')}
- name: c2
  cluster:
    server: http://127.0.0.1:8080
    certificate-authority: certs/ca.crt
    insecure-skip-tls-verify: true
    tls-server-name: kubernetes
users:
- name: admin
  user:
    client-certificate-data: ${b64('CERT')}
    client-key-data: ${b64('KEY')}
- name: bot
  user:
    token: abc123
- name: filebot
  user:
    client-certificate: certs/client.crt
    client-key: certs/client.key
    tokenFile: certs/token
contexts:
- name: dev
  context: { cluster: c1, user: admin, namespace: team-a }
- name: ci
  context: { cluster: c2, user: filebot }
- name: botctx
  context: { cluster: c1, user: bot }
`;

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-kc-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('current context with inline data', () => {
  withDir((dir) => {
    const p = join(dir, 'config');
    writeFileSync(p, KUBECONFIG);
    const cfg = loadKubeconfig(p);
    assert.equal(cfg.server, 'https://127.0.0.1:6443');
    assert.equal(cfg.caData?.toString(), 'CA-PEM');
    assert.equal(cfg.certData?.toString(), 'CERT');
    assert.equal(cfg.keyData?.toString(), 'KEY');
    assert.equal(cfg.namespace, 'team-a');
    assert.equal(cfg.insecureSkipTLSVerify, false);
    assert.equal(cfg.context, 'dev');
  });
});

test('named context with files relative to the kubeconfig', () => {
  withDir((dir) => {
    mkdirSync(join(dir, 'certs'));
    writeFileSync(join(dir, 'certs/ca.crt'), 'CA-FILE');
    writeFileSync(join(dir, 'certs/client.crt'), 'CERT-FILE');
    writeFileSync(join(dir, 'certs/client.key'), 'KEY-FILE');
    writeFileSync(join(dir, 'certs/token'), 'tok\n');
    const p = join(dir, 'config');
    writeFileSync(p, KUBECONFIG);
    const cfg = loadKubeconfig(p, 'ci');
    assert.equal(cfg.server, 'http://127.0.0.1:8080');
    assert.equal(cfg.caData?.toString(), 'CA-FILE');
    assert.equal(cfg.caFile, join(dir, 'certs/ca.crt'));
    assert.equal(cfg.certData?.toString(), 'CERT-FILE');
    assert.equal(cfg.keyData?.toString(), 'KEY-FILE');
    assert.equal(cfg.tokenFile, join(dir, 'certs/token'));
    assert.equal(cfg.insecureSkipTLSVerify, true);
    assert.equal(cfg.tlsServerName, 'kubernetes');
    assert.equal(cfg.namespace, 'default');
    assert.equal(loadKubeconfig(p, 'botctx').token, 'abc123');
  });
});

test('missing context or cluster is an error', () => {
  const kc = parseKubeconfig(KUBECONFIG, '/');
  assert.throws(() => resolveContext(kc, 'nope'), /context "nope" not found/);
  assert.throws(() => resolveContext({ ...kc, currentContext: undefined }), /current-context/);
});

test('$KUBECONFIG files merge with the first definition winning', () => {
  withDir((dir) => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    writeFileSync(a, 'clusters:\n- name: c\n  cluster: { server: "http://127.0.0.1:1" }\n');
    writeFileSync(b, KUBECONFIG.replace('current-context: dev', 'current-context: botctx'));
    const cfg = loadDefaultConfig({ env: { KUBECONFIG: `${a}:${b}`, HOME: dir } });
    assert.equal(cfg.context, 'botctx');
    assert.equal(cfg.token, 'abc123');
    const merged = mergeKubeconfigs([parseKubeconfig('clusters:\n- name: c1\n  cluster: { server: "http://x" }\n'), parseKubeconfig(KUBECONFIG)]);
    assert.equal(merged.clusters.find((c) => c.name === 'c1')?.cluster?.server, 'http://x');
  });
});

test('in-cluster config from env and service-account files', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'token'), 'sa-token');
    writeFileSync(join(dir, 'ca.crt'), 'SA-CA');
    writeFileSync(join(dir, 'namespace'), 'kube-system\n');
    const cfg = inClusterConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, dir);
    assert.equal(cfg.server, 'https://10.0.0.1:443');
    assert.equal(cfg.caData?.toString(), 'SA-CA');
    assert.equal(cfg.tokenFile, join(dir, 'token'));
    assert.equal(cfg.namespace, 'kube-system');
    const v6 = inClusterConfig({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, dir);
    assert.equal(v6.server, 'https://[fd00::1]:443');
    assert.throws(() => inClusterConfig({}, dir), /KUBERNETES_SERVICE_HOST/);
  });
});

test('token file is re-read when it changes', () => {
  withDir((dir) => {
    const p = join(dir, 'token');
    writeFileSync(p, 'one\n');
    const clock = new FakeClock();
    const src = new FileTokenSource(p, 1000, clock);
    assert.equal(src.get(), 'one');
    writeFileSync(p, 'two-rotated\n');
    assert.equal(src.get(), 'one', 'checked at most once per interval');
    clock.step(1000);
    assert.equal(src.get(), 'two-rotated');
    rmSync(p);
    clock.step(1000);
    assert.equal(src.get(), 'two-rotated', 'keeps the last token while the file is briefly missing');
  });
});
