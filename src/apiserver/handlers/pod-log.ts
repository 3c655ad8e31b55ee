import { StatusError, badRequest } from '../../api/errors.js';
import { resourceFor } from '../../api/scheme/resources.js';
import type { KubeObject } from '../../api/types.js';
import type { RequestContext } from './context.js';
import { kubeletGet } from '../kubelet-client.js';

const nodes = resourceFor('', 'v1', 'nodes')!;
const LOG_PARAMS = ['follow', 'previous', 'sinceSeconds', 'sinceTime', 'timestamps', 'tailLines', 'limitBytes'];

function containerOf(pod: any, requested: string | null): string {
  const names: string[] = (pod.spec?.containers ?? []).map((c: any) => c.name);
  const all = [...names, ...(pod.spec?.initContainers ?? []).map((c: any) => c.name), ...(pod.spec?.ephemeralContainers ?? []).map((c: any) => c.name)];
  if (requested) {
    if (!all.includes(requested)) {
      throw badRequest(`container ${requested} is not valid for pod ${pod.metadata.name}`);
    }
    return requested;
  }
  if (names.length === 1) return names[0]!;
  throw badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`);
}

/** Where the node's kubelet serves: its InternalIP (else first address) and daemon endpoint port. */
export function kubeletAddress(node: KubeObject): { host: string; port: number } {
  const status = (node.status ?? {}) as any;
  const addrs: { type: string; address: string }[] = status.addresses ?? [];
  const addr = addrs.find((a) => a.type === 'InternalIP') ?? addrs.find((a) => a.type === 'Hostname') ?? addrs[0];
  const port = status.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!addr || !port) {
    throw new StatusError(503, 'ServiceUnavailable', `node ${node.metadata.name} has not reported where its kubelet listens (status.addresses / daemonEndpoints)`);
  }
  return { host: addr.address, port };
}

/**
 * pods/log: the API server looks up the pod's node and streams the log from
 * that node's kubelet, as upstream's LogREST does, so `kubectl logs -f`
 * works through the one front door.
 */
export async function handlePodLog(ctx: RequestContext): Promise<void> {
  const pod = await ctx.store.get(ctx.rr.namespace, ctx.rr.name!);
  const container = containerOf(pod, ctx.query.get('container'));
  const nodeName = (pod.spec as any)?.nodeName as string | undefined;
  if (!nodeName) throw badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
  const node = await ctx.registry.storeFor(nodes).get(undefined, nodeName);
  const { host, port } = kubeletAddress(node);
  for (const p of ['tailLines', 'limitBytes', 'sinceSeconds']) {
    const v = ctx.query.get(p);
    if (v !== null && !/^\d+$/.test(v)) throw badRequest(`${p} must be a non-negative integer, got ${JSON.stringify(v)}`);
  }
  const q = new URLSearchParams();
  for (const p of LOG_PARAMS) {
    const v = ctx.query.get(p);
    if (v !== null) q.set(p, v);
  }
  const path = `/containerLogs/${encodeURIComponent(ctx.rr.namespace!)}/${encodeURIComponent(pod.metadata.name!)}/${encodeURIComponent(container)}?${q}`;
  await new Promise<void>((resolve, reject) => {
    const upstream = kubeletGet(ctx.registry.kubeletClient, host, port, path, (res) => {
      if (res.statusCode !== 200) {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          const code = res.statusCode === 404 ? 404 : 400;
          reject(new StatusError(code, code === 404 ? 'NotFound' : 'BadRequest', body.trim() || `the kubelet on ${nodeName} answered ${res.statusCode}`));
        });
        return;
      }
      ctx.res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
      ctx.res.flushHeaders();
      res.pipe(ctx.res);
      res.on('end', resolve);
      res.on('error', () => resolve());
    });
    upstream.on('timeout', () => upstream.destroy(new Error('timed out')));
    upstream.on('error', (err) => {
      if (ctx.res.headersSent) {
        ctx.res.end();
        resolve();
      } else reject(new StatusError(503, 'ServiceUnavailable', `cannot reach the kubelet of node ${nodeName} at ${host}:${port}: ${err.message}`));
    });
    ctx.req.on('close', () => upstream.destroy());
  });
}
