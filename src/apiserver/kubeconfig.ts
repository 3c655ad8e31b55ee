import { writeFile } from 'node:fs/promises';
import { jsonYaml } from '../util/yaml.js';

export interface KubeconfigOptions {
  server: string;
  clusterName?: string;
  user?: string;
  caData?: string;
  clientCertData?: string;
  clientKeyData?: string;
  token?: string;
}

/** A kubeconfig the real kubectl uses as is. */
export function renderKubeconfig(o: KubeconfigOptions): string {
  const cluster = o.clusterName ?? 'k8ts';
  const user = o.user ?? 'admin';
  const userEntry: Record<string, string> = {};
  if (o.clientCertData) userEntry['client-certificate-data'] = o.clientCertData;
  if (o.clientKeyData) userEntry['client-key-data'] = o.clientKeyData;
  if (o.token) userEntry.token = o.token;
  const clusterEntry: Record<string, string> = { server: o.server };
  if (o.caData) clusterEntry['certificate-authority-data'] = o.caData;
  return jsonYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: clusterEntry }],
    users: [{ name: user, user: userEntry }],
    contexts: [{ name: cluster, context: { cluster, user } }],
    'current-context': cluster,
    preferences: {},
  });
}

export async function writeKubeconfig(path: string, o: KubeconfigOptions): Promise<void> {
  await writeFile(path, renderKubeconfig(o), { mode: 0o600 });
}
