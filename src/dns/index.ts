// The cluster DNS component (`k8ts server` runs it; CoreDNS's role in
// upstream clusters): informers feed the Resolver, the server answers UDP
// and TCP, and names outside the cluster domain go to the host's
// nameservers (loopback ones left out: they may well be this server).

import type { RestClient } from '../client/rest.js';
import { InformerView } from './view.js';
import { Resolver } from './records.js';
import { startDnsServer, type RunningDnsServer, type Upstream } from './server.js';
import { isLoopback, readResolvConf } from '../util/resolv-conf.js';

export { Resolver } from './records.js';
export type { RunningDnsServer, Upstream } from './server.js';

export interface ClusterDnsOptions {
  client: RestClient;
  address: string;
  port: number;
  /** Upstream --cluster-domain (cluster.local). */
  clusterDomain?: string;
  /** Default: the non-loopback nameservers of /etc/resolv.conf, port 53. */
  upstreams?: Upstream[];
  resolvConf?: string;
}

export interface RunningClusterDns extends RunningDnsServer {
  resolver: Resolver;
}

export function hostUpstreams(path = '/etc/resolv.conf'): Upstream[] {
  return readResolvConf(path)
    .nameservers.filter((ns) => !isLoopback(ns))
    .map((host) => ({ host, port: 53 }));
}

export async function startClusterDns(o: ClusterDnsOptions): Promise<RunningClusterDns> {
  const domain = o.clusterDomain ?? 'cluster.local';
  const view = new InformerView(o.client, domain);
  await view.start();
  const resolver = new Resolver(view, domain);
  const server = await startDnsServer({ resolver, address: o.address, port: o.port, upstreams: o.upstreams ?? hostUpstreams(o.resolvConf) });
  return {
    ...server,
    resolver,
    async close() {
      await server.close();
      await view.stop();
    },
  };
}
