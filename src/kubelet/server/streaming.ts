import type { Duplex } from 'node:stream';
import { LABEL_POD_UID } from '../../runtime/interface.js';
import type { Pod } from '../api-types.js';
import type { RemoteStreams } from '../streaming/remotecommand.js';
import { rejectUpgrade } from '../streaming/reject.js';
import type { KubeletRoute, KubeletServerContext } from './routes.js';

// /exec, /attach and /portForward: the API server's pods/exec, pods/attach
// and pods/portforward proxy the client's upgraded connection here; the
// kubelet speaks the protocol (streaming/) and drives the runtime.
// The protocol code (WebSocket, SPDY) is loaded by the first such request:
// most kubelets never serve one, and an idle one need not hold it.

/** How long a tty exec waits for the client's first terminal size before starting without one. */
const INITIAL_SIZE_WAIT_MS = 2_000;

type Found = { pod: Pod; id: string } | { status: number; message: string };

function podOf(ctx: KubeletServerContext, ns: string, name: string): Pod | undefined {
  return ctx.pods().find((p) => p.metadata.namespace === ns && p.metadata.name === name);
}

/** The running container of that name (upstream's findContainer); messages as upstream's kubelet words them. */
async function runningContainer(ctx: KubeletServerContext, ns: string, podName: string, container: string, verify: boolean): Promise<Found> {
  const pod = podOf(ctx, ns, podName);
  if (!pod) return { status: 404, message: 'pod does not exist' };
  // The status this kubelet last reported names the running container. An exec trusts it without asking
  // the runtime again (upstream's findContainer reads a snapshot too): had the container stopped since,
  // the runtime's exec fails and the client reads why on the error stream, as with upstream's CRI exec.
  // An attach, which would wait on a stopped container, checks with one inspect.
  const reported = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])].find((c) => c.name === container && c.state?.running && c.containerID);
  if (reported) {
    const id = reported.containerID!.replace(/^[a-z]+:\/\//, '');
    if (!verify) return { pod, id };
    const st = await ctx.runtime.containerStatus(id).catch(() => undefined);
    if (st?.state === 'CONTAINER_RUNNING' && st.labels[LABEL_POD_UID] === pod.metadata.uid && st.metadata.name === container) return { pod, id: st.id };
  }
  const all = (await ctx.runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: pod.metadata.uid! } })).filter((c) => c.metadata.name === container && c.state === 'CONTAINER_RUNNING');
  all.sort((a, b) => b.metadata.attempt - a.metadata.attempt || b.createdAt - a.createdAt);
  if (!all[0]) return { status: 500, message: `container not found ("${container}")` };
  return { pod, id: all[0].id };
}

async function remoteCommand(
  req: Parameters<NonNullable<KubeletRoute['upgrade']>>[0],
  socket: Duplex,
  head: Buffer,
  [ns, podName, container]: string[],
  url: URL,
  ctx: KubeletServerContext,
  kind: 'exec' | 'attach',
): Promise<void> {
  const { acceptRemoteCommand, exitStatus, internalErrorStatus, parseStreamOptions } = await import('../streaming/remotecommand.js');
  const o = parseStreamOptions(url.searchParams, kind === 'exec');
  if (typeof o === 'string') return rejectUpgrade(socket, 400, o);
  if (kind === 'attach' && !ctx.runtime.attach) return rejectUpgrade(socket, 500, 'the container runtime does not support attach');
  const found = await runningContainer(ctx, ns!, podName!, container!, kind === 'attach').catch((err: Error): Found => ({ status: 500, message: err.message }));
  if (!('id' in found)) return rejectUpgrade(socket, found.status, found.message);
  const streams: RemoteStreams | undefined = await acceptRemoteCommand(req, socket, head, o, ctx.log);
  if (!streams) return;
  const where = { pod: `${ns}/${podName}`, container, protocol: streams.protocol, tty: o.tty };
  ctx.log.debug({ ...where, kind, command: o.command }, 'remote command started');
  try {
    if (kind === 'exec') {
      // kubectl sends its terminal's size right after the streams are set up; the command starts with it,
      // so a first `stty size` or prompt does not race a resize that comes after the process runs.
      const initialSize = o.tty && streams.resize ? await streams.resize.shift(INITIAL_SIZE_WAIT_MS) : undefined;
      const code = await ctx.runtime.exec(found.id, { cmd: o.command, stdin: streams.stdin, stdout: streams.stdout, stderr: streams.stderr, tty: o.tty, resize: streams.resize, initialSize });
      await streams.finish(exitStatus(o.command, code));
    } else {
      const ac = new AbortController();
      void streams.gone.then(() => ac.abort());
      await ctx.runtime.attach!(found.id, { stdin: streams.stdin, stdout: streams.stdout, stderr: streams.stderr, tty: o.tty, resize: streams.resize, signal: ac.signal });
      await streams.finish({ status: 'Success' });
    }
  } catch (err) {
    ctx.log.warn({ ...where, kind, err: (err as Error).message }, 'remote command failed');
    await streams.finish(internalErrorStatus(`error ${kind === 'exec' ? 'executing command in' : 'attaching to'} container: ${(err as Error).message}`));
  }
}

export const streamingRoutes: KubeletRoute[] = [
  {
    path: /^\/exec\/([^/]+)\/([^/]+)\/([^/]+)\/?$/,
    methods: ['GET', 'POST'],
    upgrade: (req, socket, head, params, url, ctx) => remoteCommand(req, socket, head, params, url, ctx, 'exec'),
  },
  {
    path: /^\/attach\/([^/]+)\/([^/]+)\/([^/]+)\/?$/,
    methods: ['GET', 'POST'],
    upgrade: (req, socket, head, params, url, ctx) => remoteCommand(req, socket, head, params, url, ctx, 'attach'),
  },
  {
    path: /^\/portForward\/([^/]+)\/([^/]+)\/?$/,
    methods: ['GET', 'POST'],
    async upgrade(req, socket, head, [ns, podName], _url, ctx) {
      const pod = podOf(ctx, ns!, podName!);
      if (!pod) return rejectUpgrade(socket, 404, 'pod does not exist');
      const forwardPort = ctx.runtime.portForward?.bind(ctx.runtime);
      if (!forwardPort) return rejectUpgrade(socket, 500, 'the container runtime does not support port forwarding');
      const sandboxes = await ctx.runtime.listPodSandboxes({ labelSelector: { [LABEL_POD_UID]: pod.metadata.uid! }, state: 'SANDBOX_READY' });
      const sandbox = sandboxes.sort((a, b) => b.metadata.attempt - a.metadata.attempt)[0];
      if (!sandbox) return rejectUpgrade(socket, 500, `pod sandbox for ${ns}/${podName} not found`);
      // Upstream's CRI streaming server names the sandbox and leaves the uid empty in its messages.
      const { acceptPortForward } = await import('../streaming/portforward.js');
      await acceptPortForward(req, socket, head, { podName: sandbox.id, uid: '', dial: (port) => forwardPort(sandbox.id, port) }, ctx.log);
    },
  },
];
