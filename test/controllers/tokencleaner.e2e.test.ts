// The tokencleaner of `k8ts server`'s controller manager, driven with the
// real kubectl: bootstrap-token Secrets in kube-system whose expiration has
// passed (or cannot be read) are deleted; tokens without one, tokens not yet
// expired, other Secret types and other namespaces are left alone.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tokenTtl } from '../../src/controllers/bootstrap/tokencleaner.js';
import { startK8ts, type K8tsProcess } from '../helpers/k8ts-process.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { until } from '../helpers/wait.js';

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function tokenSecret(id: string, expiration: string | undefined, o: { namespace?: string; type?: string } = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${id}`, namespace: o.namespace ?? 'kube-system' },
    type: o.type ?? 'bootstrap.kubernetes.io/token',
    stringData: { 'token-id': id, 'token-secret': 'abcdefghijklmnop', 'usage-bootstrap-authentication': 'true', ...(expiration === undefined ? {} : { expiration }) },
  };
}

describe('tokenTtl', () => {
  const s = (expiration?: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: {}, data: expiration === undefined ? {} : { expiration: Buffer.from(expiration).toString('base64') } });
  test('no expiration: never; past: 0; unreadable: 0 (upstream treats it as expired); future: the time left', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(tokenTtl(s(), now), undefined);
    assert.equal(tokenTtl(s('2025-12-31T23:59:59Z'), now), 0);
    assert.equal(tokenTtl(s('tomorrow'), now), 0);
    assert.equal(tokenTtl(s('2026-01-01T00:00:10Z'), now), 10_000);
    assert.equal(tokenTtl(s('2026-01-01T01:00:10+01:00'), now), 10_000);
  });
});

describe('tokencleaner deletes expired bootstrap tokens (kubectl)', () => {
  let dir: string;
  let server: K8tsProcess;
  let kubeconfig: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8ts-tokencleaner-'));
    server = await startK8ts(['server', '--data-dir', join(dir, 'data'), '--port', '0', '--disable-agent', '--disable-dns']);
    kubeconfig = join(dir, 'data', 'kubeconfig.yaml');
  });

  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const exists = async (name: string, ns = 'kube-system') => (await kubectl(kubeconfig, ['get', 'secret', '-n', ns, name, '--ignore-not-found', '-o', 'name'])).stdout.trim() !== '';

  test('expired and unreadable expirations go; the rest stay; a token expiring later goes when it expires', async () => {
    // A whole second: the RFC 3339 expiration carries no fraction, so it says exactly this instant.
    const soon = Math.ceil((Date.now() + 30_000) / 1000) * 1000;
    const items = [
      tokenSecret('past01', rfc3339(Date.now() - 3600_000)),
      tokenSecret('junk01', 'not a time'),
      tokenSecret('soon01', rfc3339(soon)),
      tokenSecret('later1', rfc3339(Date.now() + 24 * 3600_000)),
      tokenSecret('never1', undefined),
      // Not a bootstrap token, or not where bootstrap tokens live: not the cleaner's.
      tokenSecret('opaqu1', rfc3339(Date.now() - 3600_000), { type: 'Opaque' }),
      tokenSecret('other1', rfc3339(Date.now() - 3600_000), { namespace: 'default' }),
    ];
    await kubectlOk(kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
    await until('the expired tokens deleted', async () => (!(await exists('bootstrap-token-past01')) && !(await exists('bootstrap-token-junk01')) ? true : undefined), 120_000, 250);
    for (const name of ['later1', 'never1', 'opaqu1']) assert.ok(await exists(`bootstrap-token-${name}`), name);
    assert.ok(await exists('bootstrap-token-other1', 'default'));
    // The server's own join token has no expiration (k3s's default) and stays too.
    const own = (await readFile(join(dir, 'data', 'node-token'), 'utf8')).trim().split('::')[1]!.split('.')[0]!;
    assert.ok(await exists(`bootstrap-token-${own}`));
    // Only expired: still there while its time has not come (checked only if it has not, on a slow machine).
    const checked = Date.now();
    const still = await exists('bootstrap-token-soon01');
    if (checked < soon - 2000) assert.ok(still, 'not deleted before its expiration');
    await until('the token expiring later deleted', async () => ((await exists('bootstrap-token-soon01')) ? undefined : true), 120_000, 250);
    assert.ok(Date.now() >= soon, 'deleted no earlier than its expiration');
    assert.ok(await exists('bootstrap-token-later1'));
  });

  test('the cleaner writes as kube-system:token-cleaner, which may delete Secrets in kube-system only (a Role, as upstream)', async () => {
    const as = ['--as', 'system:serviceaccount:kube-system:token-cleaner'];
    assert.equal((await kubectlOk(kubeconfig, ['auth', 'can-i', 'delete', 'secrets', '-n', 'kube-system', ...as])).trim(), 'yes');
    const elsewhere = await kubectl(kubeconfig, ['auth', 'can-i', 'delete', 'secrets', '-n', 'default', ...as]);
    assert.equal(elsewhere.stdout.trim(), 'no');
    const role = JSON.parse(await kubectlOk(kubeconfig, ['get', 'role', '-n', 'kube-system', 'system:controller:token-cleaner', '-o', 'json'])) as { rules: { resources: string[]; verbs: string[] }[] };
    assert.ok(role.rules.some((r) => r.resources.includes('secrets') && r.verbs.includes('delete')));
  });
});
