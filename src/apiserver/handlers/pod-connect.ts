import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { StatusError, badRequest } from '../../api/errors.js';
import { resourceFor } from '../../api/scheme/resources.js';
import { dialKubelet, refillKubeletSpare } from '../kubelet-client.js';
import type { RequestContext } from './context.js';
import { kubeletAddress } from './pod-log.js';

/** How long the other side of an ended stream gets to flush and close on its own before it is destroyed. */
const DRAIN_AFTER_CLOSE_MS = 30_000;

// pods/exec, pods/attach and pods/portforward: after authentication and
// authorization (GET is `get`, POST is `create` on the subresource, as in
// upstream 1.32), the API server finds the pod's node and relays the
// client's upgrade request to that node's kubelet, then copies bytes both
// ways, as upstream's UpgradeAwareHandler does. The kubelet speaks the
// protocol; its answer (101, or an error) goes back to the client untouched.

const nodes = resourceFor('', 'v1', 'nodes')!;

interface Upgrade {
  socket: Duplex;
  head: Buffer;
}
const upgrades = new WeakMap<IncomingMessage, Upgrade>();

/** The server's 'upgrade' listener records the raw socket here before the request enters the handler chain. */
export function recordUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  upgrades.set(req, { socket, head });
}

export const CONNECT_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);

/** Query parameters the kubelet reads, per subresource (upstream's streamParams). */
const PASSED: Record<string, string[]> = {
  exec: ['command', 'stdin', 'stdout', 'stderr', 'tty'],
  attach: ['stdin', 'stdout', 'stderr', 'tty'],
  portforward: ['ports'],
};

const names = (cs: { name: string }[] | undefined): string => (cs ?? []).map((c) => c.name).join(' ');

/** Upstream's streamLocation: the container named, or the only one, or a BadRequest listing them. */
function containerFor(pod: any, requested: string | null): string {
  const spec = pod.spec ?? {};
  if (!requested) {
    const cs = spec.containers ?? [];
    if (cs.length === 1) return cs[0].name;
    if (cs.length === 0) throw badRequest(`a container name must be specified for pod ${pod.metadata.name}`);
    let msg = `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names(cs)}]`;
    if (spec.initContainers?.length) msg += ` or one of the init containers: [${names(spec.initContainers)}]`;
    throw badRequest(msg);
  }
  const all = [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])];
  if (!all.some((c: { name: string }) => c.name === requested)) throw badRequest(`container ${requested} is not valid for pod ${pod.metadata.name}`);
  return requested;
}

function forwardedHead(req: IncomingMessage, path: string, host: string, port: number): string {
  const lines = [`${req.method ?? 'GET'} ${path} HTTP/1.1`, `Host: ${host.includes(':') ? `[${host}]` : host}:${port}`];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    // The client's credentials are for the API server, never for the kubelet.
    if (name === 'host' || name === 'authorization' || name.startsWith('impersonate-') || name === 'proxy-authorization') continue;
    lines.push(`${raw[i]}: ${raw[i + 1]}`);
  }
  return lines.join('\r\n') + '\r\n\r\n';
}

export async function handlePodConnect(ctx: RequestContext): Promise<void> {
  const sub = ctx.rr.subresource!;
  const pod = (await ctx.store.get(ctx.rr.namespace, ctx.rr.name!)) as any;
  const container = sub === 'portforward' ? undefined : containerFor(pod, ctx.query.get('container'));
  const nodeName: string | undefined = pod.spec?.nodeName;
  if (!nodeName) throw badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
  const up = upgrades.get(ctx.req);
  if (!up) throw badRequest('Upgrade request required');
  const node = await ctx.registry.storeFor(nodes).get(undefined, nodeName);
  const { host, port } = kubeletAddress(node);
  const q = new URLSearchParams();
  for (const p of PASSED[sub] ?? []) for (const v of ctx.query.getAll(p)) q.append(p === 'ports' ? 'port' : p, v);
  const seg = sub === 'portforward' ? 'portForward' : sub;
  const path = `/${seg}/${encodeURIComponent(pod.metadata.namespace)}/${encodeURIComponent(pod.metadata.name)}${container ? `/${encodeURIComponent(container)}` : ''}${q.size ? `?${q}` : ''}`;
  let backend: Duplex;
  try {
    backend = await dialKubelet(ctx.registry.kubeletClient, host, port);
  } catch (err) {
    // Upstream's wording (Reason unknown, code 500): kubectl prints "error dialing backend: …".
    throw new StatusError(500, 'Unknown', `error dialing backend: ${(err as Error).message}`);
  }
  const client = up.socket;
  (ctx.res as ServerResponse & { detachSocket(s: Socket): void }).detachSocket(client as Socket);
  // One write, so the request goes out as one TLS record.
  const request = Buffer.from(forwardedHead(ctx.req, path, host, port), 'latin1');
  backend.write(up.head.length ? Buffer.concat([request, up.head]) : request);
  const closeBoth = (): void => {
    client.destroy();
    backend.destroy();
  };
  client.on('error', closeBoth);
  backend.on('error', closeBoth);
  // A side that ended cleanly has its last bytes flushed to the other by pipe(), which then ends that one too:
  // destroying it at once would drop what a slow reader has not taken yet (the tail of SPDY output, which has no
  // close handshake of its own). Only a side that went away without ending takes the other down at once.
  const closeAfter = (from: Duplex, to: Duplex): void => {
    from.once('close', () => {
      if (!from.readableEnded) to.destroy();
      else setTimeout(() => to.destroy(), DRAIN_AFTER_CLOSE_MS).unref();
    });
  };
  closeAfter(client, backend);
  closeAfter(backend, client);
  client.pipe(backend);
  backend.pipe(client);
  // The next session's connection is dialed once the kubelet has answered this one, while it runs the command.
  backend.once('data', () => refillKubeletSpare(ctx.registry.kubeletClient, host, port));
  await new Promise<void>((resolve) => client.once('close', () => resolve()));
}
