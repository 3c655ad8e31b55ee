import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { startProxy, type ProxyMode, type RunningProxy } from '../../src/proxy/proxy.js';
import { eventually } from '../kubelet/harness.js';
import { Topology, type Pod } from './netns.js';
import { CLUSTER_CIDR } from './objects.js';

// What the iptables and nftables e2e suites share: an API server, a node
// namespace with pods a, b, c (busybox httpd on 80, a also on 8080), a client
// pod and an off-cluster client, and a proxy in this process writing into the
// node namespace, counting its failed and partial syncs.

export class ProxyTestbed {
  ts!: TestServer;
  topo!: Topology;
  proxy!: RunningProxy;
  a!: Pod;
  b!: Pod;
  c!: Pod;
  client!: Pod;
  outside!: Pod;
  readonly syncErrors: string[] = [];
  partialSyncs = 0;

  constructor(private readonly mode: Exclude<ProxyMode, 'userspace'>) {}

  /** beforeProxy: runs once the namespaces exist, before the proxy starts (e.g. to plant another mode's leftovers). */
  async start(beforeProxy?: (topo: Topology) => Promise<void>): Promise<void> {
    this.ts = await startTestServer();
    this.topo = new Topology();
    await this.topo.create();
    this.a = await this.topo.addPod('a');
    this.b = await this.topo.addPod('b');
    this.c = await this.topo.addPod('c');
    this.client = await this.topo.addPod('client');
    this.outside = await this.topo.addPod('outside', 'external');
    for (const p of [this.a, this.b, this.c]) await this.topo.serve(p);
    await this.topo.serve(this.a, 8080);
    await beforeProxy?.(this.topo);
    this.proxy = await startProxy({
      clientConfig: loadKubeconfig(this.ts.kubeconfig),
      mode: this.mode,
      netns: this.topo.node,
      nodeName: 'node-1',
      clusterCIDR: CLUSTER_CIDR,
      minSyncPeriodMs: 100,
      onSync: (r) => {
        if (!r.ok) this.syncErrors.push(r.error!.message);
        else if (r.result && !r.result.full && r.result.bytes > 0) this.partialSyncs++;
      },
    });
    await this.proxy.ready;
  }

  apply(yaml: string): Promise<string> {
    return kubectlOk(this.ts.kubeconfig, ['apply', '-f', '-'], { input: yaml });
  }

  /** Waits until the proxy has written whatever the API server holds now, as read(). */
  async synced(read: () => Promise<string>, check: (rules: string) => boolean, what: string): Promise<void> {
    await eventually(async () => {
      await this.proxy.flush();
      return check(await read());
    }, what);
  }

  async stop(): Promise<void> {
    await this.proxy?.stop();
    await this.topo?.destroy();
    await this.ts?.close();
  }
}
