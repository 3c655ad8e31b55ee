import type { TLSSocket } from 'node:tls';

// Who may call the kubelet: upstream authenticates the API server by its
// client certificate (kube-apiserver-kubelet-client, signed by the cluster
// CA given as the kubelet's --client-ca-file) and authorizes it through a
// SubjectAccessReview. k8ts checks the chain and the identity directly:
// only the API server's kubelet-client identity (and system:masters) get in.

export const KUBE_APISERVER_KUBELET_CLIENT = 'kube-apiserver-kubelet-client';

export interface KubeletServingTls {
  certPem: string;
  keyPem: string;
  /** CA that client certificates must chain to (upstream --client-ca-file). */
  clientCaPem: string;
  /** Common names let in; default: kube-apiserver-kubelet-client. */
  allowedUsers?: string[];
}

export type ClientCheck = { ok: true; user: string } | { ok: false; status: 401 | 403; message: string };

function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Upstream's answers: 401 "Unauthorized" without a valid certificate, 403 naming the user otherwise. */
export function checkClient(socket: TLSSocket, tls: KubeletServingTls, verb: string, subresource: string): ClientCheck {
  if (!socket.authorized) return { ok: false, status: 401, message: 'Unauthorized' };
  const cert = socket.getPeerCertificate();
  const user = asList(cert?.subject?.CN)[0] ?? '';
  const groups = asList(cert?.subject?.O);
  const allowed = tls.allowedUsers ?? [KUBE_APISERVER_KUBELET_CLIENT];
  if (allowed.includes(user) || groups.includes('system:masters')) return { ok: true, user };
  return { ok: false, status: 403, message: `Forbidden (user=${user}, verb=${verb}, resource=nodes, subresource=${subresource})` };
}
