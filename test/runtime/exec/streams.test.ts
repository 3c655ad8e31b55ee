// Streams of the exec runtime through the runtime interface, as the
// kubelet's streaming server drives them: exec with pipes (exit codes,
// stdin EOF, 10 MB of stdin) and with a pseudo-terminal (a tty, window
// size, Ctrl-C), attach to a running container's stdin/stdout (several
// clients in turn, stdinOnce, a tty container), portForward into the pod's
// network, and the pod's dnsConfig and hostPorts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { ExecRuntime } from '../../../src/runtime/exec/index.js';
import { isRoot, processesMentioning, setupFixture, until, type Fixture } from './fixture.js';
import { freePort } from '../../helpers/ports.js';

/** Collects what a stream receives. */
function sink(): { stream: PassThrough; text: () => string; bytes: () => number } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (d: Buffer) => chunks.push(d));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8'), bytes: () => chunks.reduce((n, c) => n + c.length, 0) };
}

/** A resize stream the test pushes sizes into; `taken()` counts the sizes the session has applied. */
function sizes(): { iterable: AsyncIterable<{ width: number; height: number }>; push: (w: number, h: number) => void; end: () => void; taken: () => number } {
  const queue: { width: number; height: number }[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  let taken = 0;
  return {
    taken: () => taken,
    iterable: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (queue.length) {
            yield queue.shift()!;
            // The consumer asks for the next size only after it applied this one.
            taken++;
          }
          if (done) return;
          await new Promise<void>((r) => (wake = r));
        }
      },
    },
    push(width, height) {
      queue.push({ width, height });
      wake?.();
    },
    end() {
      done = true;
      wake?.();
    },
  };
}


/** An HTTP/1.0 GET over a raw socket: the whole response as text. */
function httpGet(socket: Duplex, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    socket.write(`GET ${path} HTTP/1.0\r\nHost: test\r\n\r\n`);
  });
}

function hostIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

async function runningContainer(fx: Fixture, sandbox: string, name: string, command: string[], extra = {}): Promise<string> {
  const rt = fx.runtime;
  const sb = fx.sandboxConfig('unused');
  const id = await rt.createContainer(sandbox, fx.containerConfig(name, command, extra), sb);
  await rt.startContainer(id);
  await fx.waitState(id, 'CONTAINER_RUNNING');
  return id;
}

for (const isolation of ['namespaces', 'host'] as const) {
  describe(`exec runtime exec streams (${isolation})`, { skip: isolation === 'namespaces' && !isRoot && 'needs root' }, () => {
    let fx: Fixture;
    let rt: ExecRuntime;
    let main: string;

    before(async () => {
      fx = await setupFixture(`str-${isolation[0]}`, isolation === 'namespaces' ? 206 : 207, { isolation });
      rt = fx.runtime;
      const sandbox = await rt.runPodSandbox(fx.sandboxConfig('streams'));
      main = await runningContainer(fx, sandbox, 'main', ['sleep', '100000']);
    });

    after(async () => {
      await fx?.cleanup();
    });

    it('returns exit codes and keeps stdout and stderr apart', async () => {
      assert.equal((await fx.exec(main, ['true'])).code, 0);
      assert.equal((await fx.exec(main, ['sh', '-c', 'exit 3'])).code, 3);
      const r = await fx.exec(main, ['sh', '-c', 'echo out; echo err >&2; exit 7']);
      assert.deepEqual(r, { code: 7, out: 'out\n', err: 'err\n' });
    });

    it('passes 10 MB of stdin whole and ends it with EOF', async () => {
      const stdin = new PassThrough();
      const out = sink();
      const done = rt.exec(main, { cmd: ['wc', '-c'], stdin, stdout: out.stream, stderr: new PassThrough() });
      const block = randomBytes(1024 * 1024);
      for (let i = 0; i < 10; i++) if (!stdin.write(block)) await new Promise((r) => stdin.once('drain', r));
      stdin.end();
      assert.equal(await done, 0);
      assert.equal(out.text().trim(), String(10 * 1024 * 1024));
    });

    it('gives a tty session a terminal whose size follows resize', async () => {
      const stdin = new PassThrough();
      const out = sink();
      const resize = sizes();
      const done = rt.exec(main, { cmd: ['sh', '-c', 'tty; stty size; read go; stty size'], stdin, stdout: out.stream, tty: true, resize: resize.iterable });
      await until(() => /\d+ \d+/.test(out.text()));
      resize.push(120, 40);
      await until(() => resize.taken() === 1);
      stdin.write('go\n');
      assert.equal(await done, 0);
      resize.end();
      const text = out.text().replace(/\r/g, '');
      assert.match(text, /^\/dev\/pts\/\d+$/m);
      assert.match(text, /^24 80$/m, 'starts at 80x24');
      assert.match(text, /^40 120$/m, text);
    });

    it('delivers Ctrl-C on the terminal to the command', async () => {
      const stdin = new PassThrough();
      const out = sink();
      const done = rt.exec(main, { cmd: ['sh', '-c', 'echo ready; exec sleep 1000'], stdin, stdout: out.stream, tty: true });
      await until(() => out.text().includes('ready'));
      stdin.write('\x03');
      assert.equal(await done, 130);
    });

    it('interrupts the foreground command of an interactive shell, not the session', async () => {
      const stdin = new PassThrough();
      const out = sink();
      const done = rt.exec(main, { cmd: ['sh'], stdin, stdout: out.stream, tty: true });
      stdin.write('echo sleeping; sleep 1717171\n');
      await until(() => /^sleeping\r?$/m.test(out.text()));
      // "sleeping" is printed before the shell has forked sleep and handed it
      // the terminal, and busybox's line editor may still hold the terminal in
      // raw mode: a Ctrl-C then is read as a character or ignored by the shell.
      // Pressing it again until sleep is gone is what a person would do.
      await until(() => processesMentioning('1717171').length);
      await until(async () => {
        if (!processesMentioning('1717171').length) return true;
        stdin.write('\x03');
        await new Promise((r) => setTimeout(r, 200));
        return false;
      });
      stdin.write('echo alive $((40 + 2))\n');
      await until(() => out.text().includes('alive 42'));
      stdin.write('exit 5\n');
      assert.equal(await done, 5);
    });

    it('hangs up a tty session whose client went away', async () => {
      const stdin = new PassThrough();
      const out = sink();
      const done = rt.exec(main, { cmd: ['sh'], stdin, stdout: out.stream, tty: true });
      stdin.write('echo here\n');
      await until(() => /^here\r?$/m.test(out.text()));
      out.stream.destroy();
      assert.equal(await done, 129);
    });

    it('runs an exec as the containers user', async () => {
      const sandbox = (await rt.listContainers({ id: main }))[0]!.podSandboxId;
      const nobody = await runningContainer(fx, sandbox, 'nobody', ['sleep', '100000'], { securityContext: { runAsUser: 65534, runAsGroup: 65534 } });
      assert.deepEqual(await fx.exec(nobody, ['sh', '-c', 'id -u; id -g']), { code: 0, out: '65534\n65534\n', err: '' });
      const out = sink();
      assert.equal(await rt.exec(nobody, { cmd: ['id', '-u'], stdout: out.stream, tty: true }), 0);
      assert.equal(out.text().trim(), '65534');
      await rt.removeContainer(nobody);
    });

    it('ends exec sessions with their container', async () => {
      const sandbox = (await rt.listContainers({ id: main }))[0]!.podSandboxId;
      const victim = await runningContainer(fx, sandbox, 'victim', ['sleep', '100000']);
      const out = sink();
      const session = rt.exec(victim, { cmd: ['sh', '-c', 'echo started; sleep 100000'], stdout: out.stream, stderr: new PassThrough() });
      await until(() => out.text().includes('started'));
      await rt.stopContainer(victim, 0);
      assert.notEqual(await session, 0);
      await rt.removeContainer(victim);
    });
  });
}

describe('exec runtime attach, portForward, dnsConfig, hostPort', { skip: !isRoot && 'needs root' }, () => {
  let fx: Fixture;
  let rt: ExecRuntime;
  let sandbox: string;
  let podIP: string;
  let hostPort: number;

  before(async () => {
    fx = await setupFixture('attach', 208);
    rt = fx.runtime;
    hostPort = await freePort();
    const sb = fx.sandboxConfig('net', {
      dnsConfig: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] },
      portMappings: [{ protocol: 'TCP', containerPort: 8080, hostPort }],
    });
    sandbox = await rt.runPodSandbox(sb);
    podIP = (await rt.podSandboxStatus(sandbox)).ips[0]!;
    const docroot = join(fx.dir, 'www');
    await mkdir(docroot, { recursive: true });
    await writeFile(join(docroot, 'index.html'), 'hello through the tunnel\n');
    await runningContainer(fx, sandbox, 'web', ['httpd', '-f', '-p', '8080', '-h', docroot]);
    // httpd listens a moment after it started.
    await until(async () => {
      const s = await rt.portForward(sandbox, 8080).catch(() => undefined);
      s?.destroy();
      return !!s;
    });
  });

  after(async () => {
    await fx?.cleanup();
  });

  it('attaches to a running container: live output, stdin, several clients in turn', async () => {
    const cat = await runningContainer(fx, sandbox, 'cat', ['cat'], { stdin: true });
    for (const word of ['first', 'second']) {
      const stdin = new PassThrough();
      const out = sink();
      const attached = rt.attach(cat, { stdin, stdout: out.stream, stderr: new PassThrough() });
      stdin.write(`${word}\n`);
      await until(() => out.text().includes(`${word}\n`));
      // Only what came after the attach: the first client's line is not replayed to the second.
      if (word === 'second') assert.ok(!out.text().includes('first'));
      stdin.end();
      out.stream.destroy();
      await attached;
    }
    // Neither client closed the container's stdin: cat still runs, and the log has both lines.
    assert.equal((await rt.containerStatus(cat)).state, 'CONTAINER_RUNNING');
    const log = sink();
    await until(async () => {
      await rt.logs(cat, {}, log.stream);
      return log.text().includes('second');
    });
    assert.match(log.text(), /first\n(.|\n)*second\n/);

    // A restarted runtime (a new kubelet) adopts the container and its stdin: a third client gets through.
    await rt.close();
    rt = fx.reopen();
    const stdin = new PassThrough();
    const out = sink();
    const attached = rt.attach(cat, { stdin, stdout: out.stream });
    stdin.write('third\n');
    await until(() => out.text().includes('third\n'));
    out.stream.destroy();
    await attached;
  });

  it('closes stdin after the first client with stdinOnce, and attach resolves when the container exits', async () => {
    const cat = await runningContainer(fx, sandbox, 'once', ['cat'], { stdin: true, stdinOnce: true });
    const stdin = new PassThrough();
    const out = sink();
    const attached = rt.attach(cat, { stdin, stdout: out.stream });
    stdin.end('only line\n');
    await attached;
    await fx.waitState(cat, 'CONTAINER_EXITED');
    const st = await rt.containerStatus(cat);
    assert.equal(st.exitCode, 0);
    assert.equal(out.text(), 'only line\n');
  });

  it('attaches to a tty container: a shell on a terminal, with its window size', async () => {
    const shell = await runningContainer(fx, sandbox, 'shell', ['sh'], { stdin: true, tty: true });
    const stdin = new PassThrough();
    const out = sink();
    const resize = sizes();
    const attached = rt.attach(shell, { stdin, stdout: out.stream, tty: true, resize: resize.iterable });
    resize.push(100, 30);
    stdin.write('tty; echo $((6 * 7))\n');
    await until(() => /^42\r?$/m.test(out.text()));
    assert.match(out.text(), /\/dev\/pts\/\d+/);
    await until(async () => {
      stdin.write('stty size\n');
      await new Promise((r) => setTimeout(r, 100));
      return /^30 100\r?$/m.test(out.text());
    });
    stdin.write('exit 4\n');
    await attached;
    resize.end();
    await fx.waitState(shell, 'CONTAINER_EXITED');
    assert.equal((await rt.containerStatus(shell)).exitCode, 4);
  });

  it('forwards a port into the pod and refuses a closed one with ECONNREFUSED', async () => {
    const responses = await Promise.all(Array.from({ length: 10 }, async () => httpGet(await rt.portForward(sandbox, 8080))));
    for (const r of responses) assert.match(r, /^HTTP\/1\.[01] 200 OK[\s\S]*hello through the tunnel\n$/);
    await assert.rejects(rt.portForward(sandbox, 8081), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED' && err.message.includes(`${podIP}:8081`));
  });

  it('forwards to a listener on the pods own loopback, as containerd dials localhost in the pod', async () => {
    await runningContainer(fx, sandbox, 'local', ['httpd', '-f', '-p', '127.0.0.1:9091', '-h', join(fx.dir, 'www')]);
    // Not reachable on the pod IP from the host...
    await assert.rejects(
      new Promise((resolve, reject) => connect({ host: podIP, port: 9091 }).once('connect', resolve).once('error', reject)),
      (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED',
    );
    // ...but port-forward gets there, for several connections at once.
    const responses = await until(async () => {
      const socks = await Promise.all(Array.from({ length: 5 }, () => rt.portForward(sandbox, 9091).catch(() => undefined)));
      if (socks.some((x) => !x)) {
        for (const x of socks) x?.destroy();
        return undefined;
      }
      return Promise.all(socks.map((x) => httpGet(x!)));
    });
    for (const r of responses) assert.match(r, /^HTTP\/1\.[01] 200 OK[\s\S]*hello through the tunnel\n$/);
    await assert.rejects(rt.portForward(sandbox, 9092), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
  });

  it('writes the pod dnsConfig to the containers /etc/resolv.conf and leaves the hosts alone', async () => {
    const web = (await rt.listContainers({ podSandboxId: sandbox })).find((c) => c.metadata.name === 'web')!;
    const r = await fx.exec(web.id, ['cat', '/etc/resolv.conf']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'search default.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');
    assert.notEqual(readFileSync('/etc/resolv.conf', 'utf8'), r.out);
  });

  it('answers a hostPort on the hosts loopback and address', async () => {
    const addresses = ['127.0.0.1', hostIPv4()].filter((a): a is string => !!a);
    for (const host of addresses) {
      const socket: Socket = connect({ host, port: hostPort });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      assert.match(await httpGet(socket), /hello through the tunnel/, `hostPort on ${host}`);
    }
  });

  it('removes the hostPort rules with the sandbox', async () => {
    const other = await rt.runPodSandbox(fx.sandboxConfig('short', { portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort: await freePort() }] }));
    const { execFileSync } = await import('node:child_process');
    const rules = (): string => execFileSync('iptables', ['-t', 'nat', '-S'], { encoding: 'utf8' });
    assert.ok(rules().includes(`k8ts-sandbox-${other}`));
    await rt.removePodSandbox(other);
    assert.ok(!rules().includes(`k8ts-sandbox-${other}`));
    assert.ok(rules().includes(`k8ts-sandbox-${sandbox}`));
  });
});
