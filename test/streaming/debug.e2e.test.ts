import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerSkip } from '../helpers/images.js';
import { KUBECTL, kubectl, kubectlOk } from '../helpers/kubectl.js';
import { eventually, PODS } from '../kubelet/harness.js';
import { RUNTIMES, startStreamingEnv, type StreamingEnv } from './harness.js';

// `kubectl debug` with an ephemeral container: kubectl 1.32 patches
// pods/ephemeralcontainers, waits for the kubelet to report the container
// running, and attaches a real terminal to it; the debugger sees the
// target container's processes, outlives its first client, and takes a
// second `kubectl attach`. The subresource's own rules answer as upstream.

const run = promisify(execFile);
const skip = await dockerSkip();

/** A terminal wait with a safety deadline that says what the screen showed (no timing limit: minutes). */
async function onScreen(screen: () => Promise<string>, ok: (s: string) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const last = await screen().catch((e: Error) => `(no screen: ${e.message})`);
    if (ok(last)) return;
    if (Date.now() > deadline) assert.fail(`${what}: the screen shows\n${last}`);
    await sleep(100);
  }
}

for (const kind of RUNTIMES) {
  describe(`kubectl debug on the ${kind} runtime`, { skip: kind === 'docker' ? skip : false }, () => {
    let env: StreamingEnv;
    let kc: string;
    let work: string;

    before(async () => {
      env = await startStreamingEnv(kind, 215);
      kc = env.server.kubeconfig;
      work = await mkdtemp(join(tmpdir(), 'k8ts-debug-work-'));
      await env.runPod('app', [{ name: 'main', command: ['sh', '-c', 'exec sleep 3601'] }]);
    });

    after(async () => {
      await env?.close();
      if (work) await rm(work, { recursive: true, force: true });
      const children = (await run('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)])).stdout.split('\n').filter((l) => /kubectl|tmux/.test(l));
      assert.deepEqual(children, [], 'child processes left behind');
    });

    test('debug -it --target gives a terminal in the target\'s process namespace; attach reconnects', async () => {
      // Each session gets a tmux server of its own: a new session on the socket of a server that kill-server is
      // still shutting down fails with "server exited unexpectedly" (seen in CI).
      let sock = join(work, 'tmux-debug.sock');
      const tmux = (...args: string[]) => run('tmux', ['-S', sock, ...args]);
      const screen = async (): Promise<string> => (await tmux('capture-pane', '-p', '-t', 'k')).stdout;
      try {
        // The pane stays after kubectl exits, so a failure shows what kubectl said.
        await tmux('new-session', '-d', '-x', '120', '-y', '40', '-s', 'k', `${KUBECTL} --kubeconfig ${kc} debug -it app --image=${env.image} --image-pull-policy=${env.pullPolicy} --target=main --container=dbg -- sh; sleep 600`);
        await onScreen(screen, (s) => /[#$] ?$/m.test(s), 'debugger prompt');
        await tmux('send-keys', '-t', 'k', 'echo debug-$((6*7)); ps', 'Enter');
        await onScreen(screen, (s) => /debug-42/.test(s) && /sleep 3601/.test(s), 'the target\'s process seen from the debugger');
        // The client goes away; the ephemeral container keeps running (kubectl debug sets no stdinOnce).
        await tmux('kill-session', '-t', 'k');
      } finally {
        await tmux('kill-server').catch(() => undefined);
        await rm(sock, { force: true });
      }

      const pod = await env.client.get<any>(PODS, 'default', 'app');
      const ec = pod.spec.ephemeralContainers;
      assert.equal(ec.length, 1);
      assert.equal(ec[0].name, 'dbg');
      assert.equal(ec[0].targetContainerName, 'main');
      assert.equal(ec[0].stdin, true);
      assert.equal(ec[0].tty, true);
      const st = pod.status.ephemeralContainerStatuses;
      assert.equal(st.length, 1);
      assert.equal(st[0].name, 'dbg');
      assert.ok(st[0].state.running, JSON.stringify(st[0]));
      assert.equal(st[0].ready, false);
      assert.match(st[0].containerID, /^[a-z]+:\/\//);
      // The pod itself is untouched: still Running and Ready with its one container.
      assert.equal(pod.status.phase, 'Running');
      assert.equal(pod.status.containerStatuses.length, 1);

      sock = join(work, 'tmux-attach.sock');
      try {
        // The pane outlives kubectl, so an attach that fails at once shows why instead of taking tmux down with it.
        await tmux('new-session', '-d', '-x', '100', '-y', '30', '-s', 'k', `${KUBECTL} --kubeconfig ${kc} attach -it app -c dbg; echo kubectl-exited-$?; sleep 600`);
        await onScreen(screen, (s) => /If you don't see a command prompt/.test(s), 'attached');
        await tmux('send-keys', '-t', 'k', 'echo again-$((40+2))', 'Enter');
        await onScreen(screen, (s) => /again-42/.test(s), 'output through the second attach');
        await tmux('send-keys', '-t', 'k', 'exit', 'Enter');
        await onScreen(screen, (s) => /^kubectl-exited-0$/m.test(s), 'attach ends with the shell');
      } finally {
        await tmux('kill-server').catch(() => undefined);
        await rm(sock, { force: true });
      }
      // Ephemeral containers never restart: the shell's exit is final.
      const done = await eventually(async () => {
        const p = await env.client.get<any>(PODS, 'default', 'app');
        return p.status.ephemeralContainerStatuses?.[0]?.state?.terminated;
      }, 'debugger terminated');
      assert.equal(done.exitCode, 0);
      assert.equal((await env.client.get<any>(PODS, 'default', 'app')).status.ephemeralContainerStatuses[0].restartCount, 0);
    });

    test('debug without a terminal: the command runs, its output is in kubectl logs', async () => {
      await kubectlOk(kc, ['debug', 'app', `--image=${env.image}`, `--image-pull-policy=${env.pullPolicy}`, '--container=once', '--', 'sh', '-c', 'echo from-the-debugger']);
      await eventually(async () => {
        const p = await env.client.get<any>(PODS, 'default', 'app');
        return p.status.ephemeralContainerStatuses?.find((s: any) => s.name === 'once')?.state?.terminated;
      }, 'one-shot debugger done');
      assert.equal(await kubectlOk(kc, ['logs', 'app', '-c', 'once']), 'from-the-debugger\n');
    });

    test('a pod that finishes ends its ephemeral containers too', async () => {
      const gate = `${env.scratch}/brief-go`;
      await env.runPod('brief', [{ name: 'main', command: ['sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.1; done`] }], { restartPolicy: 'Never' });
      await kubectlOk(kc, ['debug', 'brief', `--image=${env.image}`, `--image-pull-policy=${env.pullPolicy}`, '--container=lingers', '--', 'sleep', '3600']);
      await eventually(async () => (await env.client.get<any>(PODS, 'default', 'brief')).status.ephemeralContainerStatuses?.[0]?.state?.running, 'debugger running');
      await kubectlOk(kc, ['exec', 'brief', '-c', 'main', '--', 'touch', gate]);
      const done = await eventually(async () => {
        const p = await env.client.get<any>(PODS, 'default', 'brief');
        return p.status.phase === 'Succeeded' && p.status.ephemeralContainerStatuses?.[0]?.state?.terminated ? p : undefined;
      }, 'pod and debugger finished');
      assert.equal(done.status.containerStatuses[0].state.terminated.exitCode, 0);
      await env.client.delete(PODS, 'default', 'brief');
    });

    // Docker only, and not supported on the exec runtime (see README): its containers share the host's
    // filesystem, so the host-root volume would bind / under a /host made on the host itself.
    if (kind === 'docker') test('debug node/NAME runs a pod in the host\'s namespaces with its root at /host', async () => {
      // kubectl's node debugger mounts a service-account token: publish the CA as the root-CA publisher would.
      await env.client.create({ group: '', version: 'v1', resource: 'configmaps', namespaced: true }, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt' }, data: { 'ca.crt': env.server.pki!.caCertPem } });
      await kubectlOk(kc, ['debug', `node/${env.nodeName}`, `--image=${env.image}`, `--image-pull-policy=${env.pullPolicy}`, '--', 'sh', '-c', 'cat /host/etc/hostname; cat /proc/1/comm']);
      let pod: any;
      for (const deadline = Date.now() + 300_000; ; await sleep(100)) {
        const list = await env.client.list<any>(PODS, 'default');
        pod = list.items.find((x: any) => x.metadata.name.startsWith(`node-debugger-${env.nodeName}-`));
        if (pod?.status?.phase === 'Succeeded') break;
        if (Date.now() > deadline) assert.fail(`node debugger pod not done: ${JSON.stringify(pod?.status)}`);
      }
      assert.equal(pod.spec.nodeName, env.nodeName);
      assert.equal(pod.spec.hostPID, true);
      assert.equal(pod.spec.hostNetwork, true);
      const { readFile } = await import('node:fs/promises');
      const expected = `${(await readFile('/etc/hostname', 'utf8')).trim()}\n${(await readFile('/proc/1/comm', 'utf8')).trim()}\n`;
      assert.equal(await kubectlOk(kc, ['logs', pod.metadata.name]), expected);
      await env.client.delete(PODS, 'default', pod.metadata.name);
    });

    test('pods/ephemeralcontainers: GET, and the update rules', async () => {
      const raw = JSON.parse(await kubectlOk(kc, ['get', '--raw', '/api/v1/namespaces/default/pods/app/ephemeralcontainers']));
      assert.equal(raw.kind, 'Pod');
      assert.deepEqual(raw.spec.ephemeralContainers.map((c: any) => c.name), ['dbg', 'once']);
      // Defaults as for any container.
      assert.equal(raw.spec.ephemeralContainers[1].terminationMessagePath, '/dev/termination-log');

      const put = async (mutate: (pod: any) => void): Promise<{ code: number; stderr: string; stdout: string }> => {
        const pod = JSON.parse(await kubectlOk(kc, ['get', '--raw', '/api/v1/namespaces/default/pods/app/ephemeralcontainers']));
        mutate(pod);
        const f = join(work, 'pod.json');
        await writeFile(f, JSON.stringify(pod));
        return kubectl(kc, ['replace', '--raw', '/api/v1/namespaces/default/pods/app/ephemeralcontainers', '-f', f]);
      };
      const base = { image: env.image, imagePullPolicy: env.pullPolicy, terminationMessagePolicy: 'File', command: ['sleep', '5'] };
      let r = await put((p) => p.spec.ephemeralContainers.push({ ...base, name: 'main' }));
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /spec\.ephemeralContainers\[2\]\.name: Duplicate value: "main"/);
      r = await put((p) => p.spec.ephemeralContainers.push({ ...base, name: 'porty', ports: [{ containerPort: 80 }], readinessProbe: { exec: { command: ['true'] } }, resources: { limits: { cpu: '1' } } }));
      assert.match(r.stderr, /spec\.ephemeralContainers\[2\]\.ports: Forbidden: cannot be set for an Ephemeral Container/);
      assert.match(r.stderr, /spec\.ephemeralContainers\[2\]\.readinessProbe: Forbidden: cannot be set for an Ephemeral Container/);
      assert.match(r.stderr, /spec\.ephemeralContainers\[2\]\.resources: Forbidden: cannot be set for an Ephemeral Container/);
      r = await put((p) => p.spec.ephemeralContainers.push({ ...base, name: 'aimless', targetContainerName: 'nope' }));
      assert.match(r.stderr, /spec\.ephemeralContainers\[2\]\.targetContainerName: Not found: "nope"/);
      r = await put((p) => p.spec.ephemeralContainers.pop());
      assert.match(r.stderr, /Forbidden: existing ephemeral containers "once" may not be removed/);
      r = await put((p) => (p.spec.ephemeralContainers[0].image = 'other'));
      assert.match(r.stderr, /Forbidden: existing ephemeral containers "dbg" may not be changed/);

      // Only ephemeral containers change through the subresource: other edits are dropped, as upstream.
      r = await put((p) => {
        p.metadata.labels = { sneaky: 'yes' };
        p.spec.containers[0].image = 'elsewhere';
        p.spec.ephemeralContainers.push({ ...base, name: 'third' });
      });
      assert.equal(r.code, 0, r.stderr);
      const after = await env.client.get<any>(PODS, 'default', 'app');
      assert.deepEqual(after.spec.ephemeralContainers.map((c: any) => c.name), ['dbg', 'once', 'third']);
      assert.equal(after.spec.containers[0].image, env.image);
      assert.equal(after.metadata.labels?.sneaky, undefined);
      // …and never through the pod itself.
      const viaPod = await kubectl(kc, ['patch', 'pod', 'app', '--type=json', '-p', JSON.stringify([{ op: 'add', path: '/spec/ephemeralContainers/-', value: { ...base, name: 'fourth' } }])]);
      assert.notEqual(viaPod.code, 0);
      assert.match(viaPod.stderr, /pod updates may not change fields/);
      await eventually(async () => {
        const p = await env.client.get<any>(PODS, 'default', 'app');
        return p.status.ephemeralContainerStatuses?.find((s: any) => s.name === 'third')?.state?.terminated;
      }, 'third ephemeral container ran');
    });
  });
}
