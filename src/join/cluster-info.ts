import { jsonYaml, yaml } from '../util/yaml.js';

// The kube-public/cluster-info ConfigMap as kubeadm lays it out: a kubeconfig
// with one nameless cluster (server and CA) and no users, plus one detached
// JWS per bootstrap token allowed to sign (jws-kubeconfig-<id>).

export const CLUSTER_INFO_NAMESPACE = 'kube-public';
export const CLUSTER_INFO_NAME = 'cluster-info';
export const KUBECONFIG_KEY = 'kubeconfig';
export const JWS_PREFIX = 'jws-kubeconfig-';

export function clusterInfoKubeconfig(server: string, caCertPem: string): string {
  return jsonYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: '', cluster: { 'certificate-authority-data': Buffer.from(caCertPem).toString('base64'), server } }],
    contexts: null,
    'current-context': '',
    preferences: {},
    users: null,
  });
}

/** The CA PEM and server of a cluster-info kubeconfig, or an Error saying what is missing. */
export function readClusterInfoKubeconfig(text: string): { caCertPem: string; server: string } {
  const doc = yaml().parse(text) as { clusters?: { cluster?: Record<string, string> }[] } | null;
  const cluster = doc?.clusters?.[0]?.cluster;
  const ca = cluster?.['certificate-authority-data'];
  if (!cluster || !ca) throw new Error('the cluster-info kubeconfig names no cluster CA');
  return { caCertPem: Buffer.from(ca, 'base64').toString('utf8'), server: cluster.server ?? '' };
}
