// A hollow-nodes process whose main thread is busy (pod work for a thousand
// kubelets, in the failover bench) must still renew its nodes' Leases:
// they are renewed on a worker thread with connections of its own. Here the
// main thread is not merely busy but blocked outright (Atomics.wait), and a
// checker thread watches every node's Lease being renewed twice meanwhile.
// The API server runs in a process of its own, so the block holds up
// nothing but the hollow nodes' main thread.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { RestClient } from '../../src/client/rest.js';
import type { KubeObject } from '../../src/api/types.js';
import { HollowCluster } from '../../src/hollow/harness.js';
import { startK8ts, type K8tsProcess } from '../helpers/k8ts-process.js';

const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true };
type Lease = KubeObject & { spec?: { renewTime?: string } };
const COUNT = 20;
const PREFIX = 'busy-t-';

// Plain CommonJS for an eval worker: polls the Lease list over HTTPS with the kubeconfig's client certificate until
// every node's renewTime has changed twice since `before`, then wakes the blocked main thread.
const CHECKER = `
const https = require('node:https');
const { workerData: d } = require('node:worker_threads');
const flag = new Int32Array(d.sab);
const seen = new Map(Object.entries(d.before).map(([n, t]) => [n, new Set([t])]));
const poll = () => {
  const req = https.request(d.url + '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { ca: d.ca, cert: d.cert, key: d.key }, (res) => {
    let body = '';
    res.on('data', (c) => (body += c));
    res.on('end', () => {
      try {
        for (const l of JSON.parse(body).items ?? []) seen.get(l.metadata.name)?.add(l.spec?.renewTime);
      } catch {}
      // before's own renewTime plus two more: renewed twice while the main thread was blocked.
      if ([...seen.values()].every((s) => s.size >= 3)) {
        Atomics.store(flag, 0, 1);
        Atomics.notify(flag, 0);
      } else setTimeout(poll, 100);
    });
  });
  req.on('error', () => setTimeout(poll, 100));
  req.end();
};
poll();
`;

describe('hollow nodes under a blocked main thread', () => {
  let api: K8tsProcess;
  let cluster: HollowCluster;
  let client: RestClient;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8ts-busy-leases-'));
    api = await startK8ts(['apiserver', '--data-dir', join(dir, 'api'), '--port', '0'], /listening on/);
    const config = loadKubeconfig(join(dir, 'api', 'kubeconfig.yaml'));
    client = new RestClient(config);
    cluster = new HollowCluster({ clientConfig: config, count: COUNT, namePrefix: PREFIX, leaseDurationSeconds: 4, rootDir: join(dir, 'hollow') });
    await cluster.start();
  });

  after(async () => {
    client?.close();
    await cluster?.close();
    await api?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('renews every Lease from its worker thread while the main thread cannot run', async () => {
    const before: Record<string, string> = {};
    for (;;) {
      const leases = await client.list<Lease>(LEASES, 'kube-node-lease');
      for (const l of leases.items) {
        const name = l.metadata.name ?? '';
        if (name.startsWith(PREFIX) && l.spec?.renewTime) before[name] = l.spec.renewTime;
      }
      if (Object.keys(before).length === COUNT) break;
      await sleep(100);
    }
    const config = loadKubeconfig(join(dir, 'api', 'kubeconfig.yaml'));
    const sab = new SharedArrayBuffer(4);
    const checker = new Worker(CHECKER, { eval: true, workerData: { sab, before, url: config.server, ca: config.caData, cert: config.certData, key: config.keyData } });
    try {
      // Bounded: a worker that never renews leaves the flag at 0 and fails the test after two minutes.
      Atomics.wait(new Int32Array(sab), 0, 0, 120_000);
      assert.equal(Atomics.load(new Int32Array(sab), 0), 1, 'every node\'s Lease renewed twice while the main thread was blocked');
    } finally {
      await checker.terminate();
    }
  });
});
