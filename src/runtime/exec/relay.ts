// The port-forward relay of one pod: a small Node process started inside
// the pod's network namespace (nsenter -n), listening on a unix socket in
// the sandbox's directory, which is how the runtime reaches listeners bound
// to 127.0.0.1 inside the pod (as containerd dials localhost in the pod's
// netns). Per connection the runtime writes the port (2 bytes, big endian);
// the relay answers one byte, 0 once connected (then bytes flow both ways)
// or 1 followed by the system error code (e.g. ECONNREFUSED) and a newline.
import { connect, createServer } from 'node:net';
import { rmSync } from 'node:fs';

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: relay.js SOCKET\n');
  process.exit(2);
}
rmSync(path, { force: true });
// Half-open both ways: a client that finished sending still gets the whole answer.
const server = createServer({ allowHalfOpen: true }, (client) => {
  client.on('error', () => undefined);
  client.once('readable', function first() {
    const head = client.read(2) as Buffer | null;
    if (!head) {
      client.once('readable', first);
      return;
    }
    const port = head.readUInt16BE(0);
    const upstream = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    upstream.once('connect', () => {
      upstream.removeAllListeners('error');
      upstream.on('error', () => client.destroy());
      client.write(Buffer.from([0]));
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.once('error', (err: NodeJS.ErrnoException) => {
      client.end(Buffer.concat([Buffer.from([1]), Buffer.from(`${err.code ?? 'EIO'}\n`)]));
    });
  });
});
server.listen(path, () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
