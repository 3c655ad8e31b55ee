import { startTestServer } from '../../helpers/apiserver.js';
import { kubectl, kubectlOk } from '../../helpers/kubectl.js';
import { loadKubeconfig } from '../../../src/client/kubeconfig.js';
import { RestClient } from '../../../src/client/rest.js';
import { InformerFactory } from '../../../src/client/informer-factory.js';
import { EventRecorder } from '../../../src/client/events/recorder.js';
import type { ControllerContext, ControllerDescriptor, RunningController } from '../../../src/controllers/types.js';
import { defaultControllerManagerOptions } from '../../../src/controllers/options.js';
import type { Harness } from '../workloads/harness.js';

// The workloads harness over a secure API server: the storage admission
// plugins (DefaultStorageClass, StorageObjectInUseProtection,
// PersistentVolumeClaimResize) run only in the authenticated chain.

export async function startSecureHarness(controllers: ControllerDescriptor[]): Promise<Harness> {
  const server = await startTestServer({ secure: true });
  const client = new RestClient(loadKubeconfig(server.kubeconfig), { component: 'kube-controller-manager' });
  const informers = new InformerFactory(client);
  const recorders: EventRecorder[] = [];
  const ctx: ControllerContext = {
    client,
    informers,
    recorder(component) {
      const r = new EventRecorder(client, { component, retryDelayMs: 200, maxTries: 3 });
      recorders.push(r);
      return r;
    },
    options: defaultControllerManagerOptions(),
  };
  const running: RunningController[] = [];
  for (const c of controllers) running.push(await c.start(ctx));
  informers.start();
  return {
    server,
    client,
    ctx,
    kubeconfig: server.kubeconfig,
    k: (args, input) => kubectlOk(server.kubeconfig, args, { input }),
    kRaw: (args, input) => kubectl(server.kubeconfig, args, { input }),
    async close() {
      for (const r of running) await r.stop();
      await informers.stop();
      for (const r of recorders) await r.shutdown();
      client.close();
      await server.close();
    },
  };
}
