import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pty from 'node-pty';
import { dockerSkip } from '../helpers/images.js';
import { KUBECTL, kubectlBuild } from '../helpers/kubectl.js';
import { RUNTIMES, startStreamingEnv, type StreamingEnv } from './harness.js';

// `kubectl exec -it` from a real terminal: the command's very first look at
// its terminal already sees the client's size. Docker's exec before API 1.42
// opens its tty at 0×0 and could only be resized once the process ran, so a
// command such as `stty size` used to read "0 0" when it beat the resize.
// kubectl runs under a pty of a known size (node-pty), over WebSocket (1.32)
// and the legacy SPDY upgrade (1.27), on each runtime.

const run = promisify(execFile);
const skip = await dockerSkip();
const ROWS = 37;
const COLS = 113;
const WAIT_MS = 120_000;

/** Runs kubectl in a pty of ROWS×COLS and returns everything it printed once it exits (bounded). */
function inTerminal(bin: string, kubeconfig: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const term = pty.spawn(bin, ['--kubeconfig', kubeconfig, ...args], { name: 'xterm', cols: COLS, rows: ROWS, env: { ...process.env, KUBECONFIG: kubeconfig } as Record<string, string> });
    let out = '';
    const timer = setTimeout(() => {
      term.kill('SIGKILL');
      reject(new Error(`kubectl ${args.join(' ')} did not finish within ${WAIT_MS / 1000} s; output so far: ${JSON.stringify(out)}`));
    }, WAIT_MS);
    term.onData((d) => (out += d));
    term.onExit(({ exitCode }) => {
      clearTimeout(timer);
      resolve({ code: exitCode, out });
    });
  });
}

for (const kind of RUNTIMES) {
  describe(`exec -it terminal size on the ${kind} runtime`, { skip: kind === 'docker' ? skip : false }, () => {
    let env: StreamingEnv;

    before(async () => {
      env = await startStreamingEnv(kind, 216);
      await env.runPod('tty', [{ name: 'main', command: ['sh', '-c', 'sleep 3600'] }]);
    });

    after(async () => {
      const nodeName = env?.nodeName;
      await env?.close();
      if (nodeName && kind === 'docker') {
        const left = (await run('/usr/bin/docker', ['ps', '-aq', '--filter', `label=io.k8ts.node.name=${nodeName}`])).stdout.trim();
        assert.equal(left, '', 'containers left behind');
      }
      const children = (await run('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)])).stdout.split('\n').filter((l) => /kubectl/.test(l));
      assert.deepEqual(children, [], 'child processes left behind');
    });

    const clients: [string, string | undefined][] = [
      ['1.32 (WebSocket)', KUBECTL],
      ['1.27 (SPDY)', kubectlBuild('1.27')],
    ];
    for (const [label, bin] of clients) {
      test(`kubectl ${label}: the first stty size is the client's terminal`, { skip: bin ? false : 'no such kubectl build here' }, async () => {
        // Several times over: a race would show up as an occasional "0 0" (or the 80×24 default).
        for (let i = 0; i < 5; i++) {
          const r = await inTerminal(bin!, env.server.kubeconfig, ['exec', '-it', 'tty', '--', 'stty', 'size']);
          assert.equal(r.code, 0, r.out);
          assert.equal(r.out.trim(), `${ROWS} ${COLS}`, `run ${i + 1}`);
        }
        // A shell's own first look, then the command's exit code through the terminal path.
        const sh = await inTerminal(bin!, env.server.kubeconfig, ['exec', '-it', 'tty', '--', 'sh', '-c', 'stty size; tty; exit 7']);
        assert.equal(sh.code, 7, sh.out);
        assert.match(sh.out, new RegExp(`^${ROWS} ${COLS}\\r?\\n/dev/pts/\\d+`));
      });
    }
  });
}
