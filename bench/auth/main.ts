// Auth figures (issue #10, bench/auth): RBAC decision latency with 10,000
// bindings (target p99 ≤ 50 µs), Node authorizer decisions, and TLS
// connection set-up per second with client-certificate authentication.
// Run: npm run build && node dist/bench/auth/main.js [--quick] [--no-write]
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RbacAuthorizer } from '../../src/auth/authz/rbac.js';
import { NodeAuthorizer } from '../../src/auth/authz/node.js';
import { CLUSTER_ROLES } from '../../src/auth/authz/bootstrap-policy.js';
import { CONTROLLER_ROLES } from '../../src/auth/authz/controller-policy.js';
import { aggregatedRules } from '../../src/auth/authz/reconcile.js';
import type { RequestAttributes } from '../../src/auth/authz/types.js';
import type { KubeObject } from '../../src/api/types.js';
import { ensureClusterPki, issueClientCert, serverTlsOptions } from '../../src/pki/index.js';
import { createAuthenticator } from '../../src/auth/authn/index.js';
import type { Registry } from '../../src/apiserver/handlers/context.js';
import { fmt, summarize, table, writeSection } from '../lib/stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = here.includes(`${join('dist', 'bench')}`) ? join(here, '..', '..', '..') : join(here, '..', '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const BINDINGS = 10_000;
const NAMESPACES = 500;
const DECISIONS = quick ? 20_000 : 200_000;
const RBAC = 'rbac.authorization.k8s.io';

function loadPolicy(rbac: RbacAuthorizer): void {
  const roles = new Map<string, KubeObject>();
  for (const d of [...CLUSTER_ROLES, ...CONTROLLER_ROLES]) {
    roles.set(d.name, { metadata: { name: d.name, labels: d.labels }, rules: d.rules, aggregationRule: d.aggregate ? { clusterRoleSelectors: d.aggregate.map((m) => ({ matchLabels: m })) } : undefined });
  }
  // Aggregates feed each other (view → edit → admin); three passes settle them.
  for (let i = 0; i < 3; i++) for (const r of roles.values()) if (r.aggregationRule) r.rules = aggregatedRules(r, roles.values());
  for (const r of roles.values()) rbac.clusterRoleHandler.upsert(r, undefined);
  const crb = (name: string, role: string, subject: Record<string, string>) => ({ metadata: { name }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role }, subjects: [subject] });
  rbac.clusterRoleBindingHandler.upsert(crb('cluster-admin', 'cluster-admin', { kind: 'Group', name: 'system:masters' }), undefined);
  rbac.clusterRoleBindingHandler.upsert(crb('system:basic-user', 'system:basic-user', { kind: 'Group', name: 'system:authenticated' }), undefined);
  rbac.clusterRoleBindingHandler.upsert(crb('system:discovery', 'system:discovery', { kind: 'Group', name: 'system:authenticated' }), undefined);
  const kinds = ['admin', 'edit', 'view'];
  for (let i = 0; i < BINDINGS; i++) {
    const ns = `ns-${i % NAMESPACES}`;
    rbac.roleBindingHandler.upsert(
      { metadata: { name: `b-${i}`, namespace: ns }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: kinds[i % 3]! }, subjects: [{ kind: 'User', apiGroup: RBAC, name: `user-${i}` }] },
      undefined,
    );
  }
}

function requests(n: number): RequestAttributes[] {
  const verbs = ['get', 'list', 'watch', 'create', 'update', 'delete'];
  const resources: [string, string][] = [['', 'pods'], ['', 'secrets'], ['apps', 'deployments'], ['', 'configmaps'], [RBAC, 'roles'], ['batch', 'jobs']];
  const out: RequestAttributes[] = [];
  let seed = 42;
  const rnd = (m: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % m);
  for (let i = 0; i < n; i++) {
    const u = rnd(BINDINGS);
    // Half the requests go to the user's own namespace (mostly allowed), half elsewhere (denied after a full search).
    const ns = rnd(2) === 0 ? `ns-${u % NAMESPACES}` : `ns-${rnd(NAMESPACES)}`;
    const [apiGroup, resource] = resources[rnd(resources.length)]!;
    out.push({ user: { username: `user-${u}`, groups: [`team-${u % 50}`, 'system:authenticated', 'system:serviceaccounts'] }, verb: verbs[rnd(verbs.length)]!, resourceRequest: true, apiGroup, resource, namespace: ns, name: 'x' });
  }
  return out;
}

function measure(decide: (a: RequestAttributes) => boolean, reqs: RequestAttributes[]): { p50: number; p99: number; max: number; allowed: number; perSec: number } {
  for (let i = 0; i < Math.min(reqs.length, 20_000); i++) decide(reqs[i]!);
  const lat = new Array<number>(reqs.length);
  let allowed = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reqs.length; i++) {
    const s = process.hrtime.bigint();
    if (decide(reqs[i]!)) allowed++;
    lat[i] = Number(process.hrtime.bigint() - s) / 1000;
  }
  const total = Number(process.hrtime.bigint() - t0) / 1e9;
  return { ...summarize(lat), allowed, perSec: reqs.length / total };
}

async function tlsHandshakes(): Promise<{ perSec: number; p50: number; p99: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-auth-'));
  const pki = await ensureClusterPki(dir, { hostnames: [], ips: [] });
  const authn = createAuthenticator({ pki, registry: {} as Registry, anonymous: false, apiAudiences: [] });
  const server = https.createServer(serverTlsOptions(pki), (req, res) => {
    void authn.authenticate(req).then((u) => res.end(u?.username ?? ''));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const client = await issueClientCert(pki, { commonName: 'bench', organizations: ['bench'] });
  const n = quick ? 200 : 1000;
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await new Promise<void>((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port, path: '/', agent: false, ca: pki.caCertPem, cert: client.certPem, key: client.keyPem }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end();
    });
    lat.push(performance.now() - s);
  }
  const seconds = (performance.now() - t0) / 1000;
  await new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
  await rm(dir, { recursive: true, force: true });
  const s = summarize(lat);
  return { perSec: n / seconds, p50: s.p50, p99: s.p99 };
}

const rbac = new RbacAuthorizer();
const t0 = performance.now();
loadPolicy(rbac);
const loadMs = performance.now() - t0;
const reqs = requests(DECISIONS);
const r = measure((a) => rbac.authorize(a).allowed, reqs);

const node = new NodeAuthorizer();
for (let i = 0; i < 10_000; i++) {
  node.podHandler.upsert({ metadata: { name: `p-${i}`, namespace: `ns-${i % NAMESPACES}` }, spec: { nodeName: `node-${i % 100}`, volumes: [{ name: 's', secret: { secretName: `s-${i}` } }] } }, undefined);
}
// Half the reads name a secret of a pod on the asking node, half a random one.
const nodeReqs: RequestAttributes[] = reqs.map((_, i) => {
  const k = i % 2 === 0 ? (i % 100) + 100 * ((i * 7) % 100) : (i * 7919) % 10_000;
  return { user: { username: `system:node:node-${i % 100}`, groups: ['system:nodes', 'system:authenticated'] }, verb: 'get', resourceRequest: true, apiGroup: '', resource: 'secrets', namespace: `ns-${k % NAMESPACES}`, name: `s-${k}` };
});
const n = measure((a) => node.authorize(a)?.allowed ?? false, nodeReqs);
const tls = await tlsHandshakes();

const body = [
  `RBAC authorizer with ${BINDINGS.toLocaleString('en-US')} RoleBindings over ${NAMESPACES} namespaces plus the bootstrap policy (${rbac.bindingCount.toLocaleString('en-US')} bindings indexed in ${fmt(loadMs, 0)} ms); ${DECISIONS.toLocaleString('en-US')} decisions, half in the caller's namespace. Target: p99 ≤ 50 µs.`,
  '',
  '```',
  table([
    ['decision', 'p50 µs', 'p99 µs', 'max µs', 'decisions/s', 'allowed'],
    ['RBAC (10,000 bindings)', fmt(r.p50), fmt(r.p99), fmt(r.max, 0), fmt(r.perSec, 0), `${((100 * r.allowed) / DECISIONS).toFixed(0)}%`],
    ['Node (10,000 pods, 100 nodes)', fmt(n.p50), fmt(n.p99), fmt(n.max, 0), fmt(n.perSec, 0), `${((100 * n.allowed) / DECISIONS).toFixed(0)}%`],
  ]),
  '```',
  '',
  'TLS connection set-up (new connection per request, ECDSA P-256, client certificate verified and authenticated), one client in series:',
  '',
  '```',
  table([
    ['', 'connections/s', 'p50 ms', 'p99 ms'],
    ['TLS + client cert authn', fmt(tls.perSec, 0), fmt(tls.p50), fmt(tls.p99)],
  ]),
  '```',
  '',
  'Create p99 with TLS + authn + RBAC vs auth off is measured by bench/apiserver once the secure server is wired in.',
].join('\n');

process.stdout.write(`${body}\n`);
process.stdout.write(`RBAC decision p99: ${fmt(r.p99)} µs (target ≤ 50 µs) ${r.p99 <= 50 ? 'OK' : 'OVER TARGET'}\n`);
if (!args.includes('--no-write')) await writeSection(join(repo, 'docs', 'benchmarks.md'), 'Auth', body);
