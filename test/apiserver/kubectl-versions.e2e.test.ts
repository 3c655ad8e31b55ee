import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { kubectl, kubectlBuild } from '../helpers/kubectl.js';

// Upstream promises kubectl ±1 minor version; every build on these machines
// (1.27 … 1.33) must work against our 1.32 server with default flags.

const VERSIONS = ['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33'];

describe('every kubectl build from 1.27 to 1.33', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => s?.close());

  for (const v of VERSIONS) {
    const bin = kubectlBuild(v);
    // Locally a missing build is skipped; in CI every build must be there.
    test(`kubectl ${v}`, { skip: bin || process.env.CI ? false : `kubectl.${v} is not installed here` }, async () => {
      assert.ok(bin, `kubectl.${v} is not installed beside ${'the pinned kubectl'}`);
      const run = async (args: string[], input?: string) => {
        const r = await kubectl(s.kubeconfig, args, { bin, input });
        assert.equal(r.code, 0, `kubectl ${v} ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      const name = `web-${v.replace('.', '-')}`;
      const manifest = JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name },
        spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
      });
      assert.match(await run(['version']), /Server Version: (v1\.32\.|version\.Info\{Major:"1", Minor:"32")/);
      assert.match(await run(['get', 'namespaces']), /kube-system\s+Active/);
      assert.match(await run(['apply', '-f', '-'], manifest), new RegExp(`deployment.apps/${name} created`));
      assert.match(await run(['apply', '-f', '-'], manifest.replace('"replicas":1', '"replicas":2')), new RegExp(`deployment.apps/${name} configured`));
      assert.match(await run(['get', 'deploy', name]), new RegExp(`^${name}\\s+0/2\\s+0\\s+0\\s+\\d+s$`, 'm'));
      assert.match(await run(['explain', 'deployment.spec.replicas']), /replicas/);
      assert.match(await run(['delete', 'deploy', name]), /deleted/);
    });
  }
});
