// Shared by the kubectl-auth*.e2e tests: identities, kubeconfigs kubectl
// does not prompt on, and assertions on kubectl's exit code and messages.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { TestServer } from '../helpers/apiserver.js';
import { kubectl, type KubectlResult } from '../helpers/kubectl.js';

export { kubectl, kubectlOk } from '../helpers/kubectl.js';

let n = 0;

/**
 * A kubeconfig that presents no credential the API server accepts. kubectl
 * 1.32 prompts for a user name and password (and fails on a non-terminal
 * stdin) when the kubeconfig user has no credential at all on an https
 * server, so this one carries a bare user name: kubectl sends it as HTTP
 * Basic auth, which kube-apiserver has not accepted since 1.19, and the
 * request is unauthenticated exactly as one without any header.
 */
export async function noCredentialsKubeconfig(s: TestServer): Promise<string> {
  const path = join(s.dir, `kubeconfig-nocreds-${++n}.yaml`);
  await writeFile(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'k8ts', cluster: { server: s.url, 'certificate-authority-data': Buffer.from(s.pki!.caCertPem).toString('base64') } }],
      users: [{ name: 'nobody', user: { username: 'nobody' } }],
      contexts: [{ name: 'k8ts', context: { cluster: 'k8ts', user: 'nobody' } }],
      'current-context': 'k8ts',
    }),
    { mode: 0o600 },
  );
  return path;
}

/** kubectl exited 0; returns stdout. */
export function ok(r: KubectlResult, what: string): string {
  assert.equal(r.code, 0, `${what}: expected success, got exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

/** kubectl exited 1 and its stderr is exactly this one line. */
export function fails(r: KubectlResult, line: string, what: string): void {
  assert.equal(r.code, 1, `${what}: expected exit 1, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.equal(r.stderr.trim(), line, what);
}

export const UNAUTHORIZED = 'error: You must be logged in to the server (Unauthorized)';

/** kubectl auth whoami's table as [attribute, value] pairs. */
export function whoamiRows(stdout: string): [string, string][] {
  const lines = stdout.trim().split('\n');
  assert.match(lines[0] ?? '', /^ATTRIBUTE\s+VALUE$/);
  return lines.slice(1).map((l) => {
    const m = /^(.+?)\s{2,}(.*)$/.exec(l.trimEnd());
    assert.ok(m, `unexpected whoami line ${JSON.stringify(l)}`);
    return [m[1]!, m[2]!];
  });
}

export async function whoami(kubeconfig: string, extra: string[] = []): Promise<Map<string, string>> {
  const r = await kubectl(kubeconfig, ['auth', 'whoami', ...extra]);
  return new Map(whoamiRows(ok(r, 'kubectl auth whoami')));
}

/** kubectl auth can-i --list rows with their column padding collapsed: "pods [] [] [get list watch]". */
export function canIListRows(stdout: string): string[] {
  const lines = stdout.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/);
  return lines.slice(1).map((l) => l.trim().replace(/\s{2,}/g, ' '));
}

export interface Identities {
  admin: string;
  viewer: string;
  editor: string;
  sa: string;
  node: string;
}
