import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dockerSkip } from '../helpers/images.js';
import { kubectlBuild, kubectlOk } from '../helpers/kubectl.js';
import { RUNTIMES, startStreamingEnv, type StreamingEnv } from './harness.js';
import { httpGet, portForward, startKubectl, type Running } from './kubectl-run.js';

// Every kubectl build on this machine, 1.27 to 1.33, through each streaming
// verb: cp both ways, attach, logs -f and port-forward (exec and its exit
// code for every build are in streaming.e2e.test.ts). 1.27–1.29 speak the
// legacy SPDY upgrade, 1.30+ WebSockets for exec/attach/cp, 1.31+ tunnel
// port-forward's SPDY in a WebSocket.

const run = promisify(execFile);
const skip = await dockerSkip();
const VERSIONS = ['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33'];
const WAIT_MS = 120_000;

/** Resolves once `ok()` holds, checking on each output chunk of `r`; fails after WAIT_MS or when kubectl exits first. */
function seen(r: Running, ok: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!ok()) return;
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what}: not seen within ${WAIT_MS / 1000} s; stdout ${JSON.stringify(r.out())}, stderr ${JSON.stringify(r.err())}`));
    }, WAIT_MS);
    const exited = (): void => {
      if (ok()) return check();
      done();
      reject(new Error(`${what}: kubectl exited first; stdout ${JSON.stringify(r.out())}, stderr ${JSON.stringify(r.err())}`));
    };
    const done = (): void => {
      clearTimeout(timer);
      r.child.stdout.off('data', check);
      r.child.off('close', exited);
    };
    r.child.stdout.on('data', check);
    r.child.once('close', exited);
    check();
  });
}

for (const kind of RUNTIMES) {
  describe(`kubectl 1.27–1.33 streaming verbs on the ${kind} runtime`, { skip: kind === 'docker' ? skip : false }, () => {
    let env: StreamingEnv;
    let kc: string;
    let work: string;

    before(async () => {
      env = await startStreamingEnv(kind, 217);
      kc = env.server.kubeconfig;
      work = await mkdtemp(join(tmpdir(), 'k8ts-streaming-versions-'));
      await env.runPod('box', [{ name: 'main', command: ['sh', '-c', 'sleep 3600'] }]);
      await env.runPod('talker', [{ name: 'main', stdin: true, command: ['sh', '-c', 'while read line; do echo "got-$line"; done'] }]);
      await env.runPod('ticker', [{ name: 'main', command: ['sh', '-c', 'i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done'] }]);
      await env.runPod('web', [{ name: 'httpd', command: ['sh', '-c', `mkdir -p ${env.scratch}/www && echo hello-web > ${env.scratch}/www/index.html && exec httpd -f -p 8080 -h ${env.scratch}/www`] }]);
    });

    after(async () => {
      const nodeName = env?.nodeName;
      await env?.close();
      if (work) await rm(work, { recursive: true, force: true });
      if (nodeName && kind === 'docker') {
        const left = (await run('/usr/bin/docker', ['ps', '-aq', '--filter', `label=io.k8ts.node.name=${nodeName}`])).stdout.trim();
        assert.equal(left, '', 'containers left behind');
      }
      const children = (await run('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)])).stdout.split('\n').filter((l) => /kubectl/.test(l));
      assert.deepEqual(children, [], 'child processes left behind');
    });

    for (const v of VERSIONS) {
      const bin = kubectlBuild(v);
      test(`kubectl ${v}: cp in and out, attach, logs -f, port-forward`, { skip: bin ? false : `no kubectl ${v} build here` }, async () => {
        // cp: a file in, back out, identical.
        const src = join(work, `in-${v}.bin`);
        const back = join(work, `out-${v}.bin`);
        const data = randomBytes(200_000);
        await writeFile(src, data);
        await kubectlOk(kc, ['cp', src, `box:${env.scratch}/cp-${v}.bin`], { bin });
        await kubectlOk(kc, ['cp', `box:${env.scratch}/cp-${v}.bin`, back], { bin });
        const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
        assert.equal(sha(await readFile(back)), sha(data), `kubectl ${v} cp round trip`);

        // attach -i: a line in, its echo out.
        const a = startKubectl(kc, ['attach', '-i', 'talker'], bin);
        try {
          a.child.stdin.write(`line-${v}\n`);
          await seen(a, () => a.out().includes(`got-line-${v}`), `kubectl ${v} attach echo`);
        } finally {
          await a.stop();
        }

        // logs -f: two lines printed after kubectl started following.
        const f = startKubectl(kc, ['logs', '-f', '--tail=1', 'ticker'], bin);
        try {
          await seen(f, () => (f.out().match(/tick-\d+/g) ?? []).length >= 3, `kubectl ${v} logs -f following`);
        } finally {
          await f.stop();
        }

        // port-forward: concurrent requests all answered.
        const pf = await portForward(kc, 'pod/web', 8080, bin);
        try {
          const answers = await Promise.all(Array.from({ length: 10 }, () => httpGet(pf.port, '/index.html')));
          assert.equal(answers.filter((x) => x.status === 200 && x.body === 'hello-web\n').length, 10, `kubectl ${v} port-forward`);
        } finally {
          await pf.stop();
        }
      });
    }
  });
}
