import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { kubectl } from '../helpers/kubectl.js';

// Invalid objects through the real kubectl: the 422 must print exactly as
// upstream's does, and the server must keep serving afterwards.

const BAD_POD = `apiVersion: v1
kind: Pod
metadata:
  name: bad
spec:
  restartPolicy: Sometimes
  containers:
  - name: Web
    ports:
    - containerPort: 70000
`;

const BAD_DEPLOY = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: { matchLabels: { app: other } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: web
        image: nginx:1.27
`;

const GOOD_POD = `apiVersion: v1
kind: Pod
metadata:
  name: good
spec:
  containers:
  - name: web
    image: nginx:1.27
`;

describe('kubectl and validation errors', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv?.close();
  });

  test('an invalid pod is refused with upstream wording and exit code 1', async () => {
    const r = await kubectl(srv.kubeconfig, ['create', '-f', '-'], { input: BAD_POD });
    assert.equal(r.code, 1, r.stderr);
    // kubectl lists each cause of a multi-cause 422 on its own line.
    assert.equal(
      r.stderr,
      'The Pod "bad" is invalid: \n' +
        "* spec.containers[0].name: Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')\n" +
        '* spec.containers[0].image: Required value\n' +
        '* spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive\n' +
        '* spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"\n',
    );
  });

  test('a deployment whose selector misses its template is refused', async () => {
    const r = await kubectl(srv.kubeconfig, ['apply', '-f', '-'], { input: BAD_DEPLOY });
    assert.equal(r.code, 1, r.stderr);
    assert.ok(
      r.stderr.includes(
        'The Deployment "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
      ),
      r.stderr,
    );
  });

  test('the server keeps serving after refusals', async () => {
    const r = await kubectl(srv.kubeconfig, ['create', '-f', '-'], { input: GOOD_POD });
    assert.equal(r.code, 0, r.stderr);
    const g = await kubectl(srv.kubeconfig, ['get', 'pod', 'good', '-o', 'jsonpath={.spec.restartPolicy}/{.spec.containers[0].imagePullPolicy}']);
    assert.equal(g.code, 0, g.stderr);
    assert.equal(g.stdout, 'Always/IfNotPresent');
    const none = await kubectl(srv.kubeconfig, ['get', 'pod', 'bad']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /pods "bad" not found/);
  });
});
