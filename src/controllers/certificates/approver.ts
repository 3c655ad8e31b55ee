import type { KubeObject } from '../../api/types.js';
import { isNotFound } from '../../client/status.js';
import { KeyWorker, runOnAddOrUpdate } from '../shared/worker.js';
import { CSRS, SUBJECT_ACCESS_REVIEWS } from '../core-resources.js';
import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import { APISERVER_CLIENT_SIGNER, apiServerClientProblem, conditionsOf, hasCondition, certificateOf, kubeletClientProblem, KUBELET_CLIENT_SIGNER, now, parseRequest, specOf } from './csr.js';
import type { ParsedCsr } from '../../pki/csr.js';

/** A bare client certificate: no organization, no subject alternative names, client usages. */
function proxyClientProblem(req: ParsedCsr, usages: string[]): string | null {
  if (req.organizations.length || req.dnsNames.length || req.ips.length || req.emails.length || req.uris.length) return 'a node component certificate names no organization and no alternative names';
  if (!usages.includes('client auth')) return 'a node component certificate needs client auth';
  return apiServerClientProblem(usages);
}

// Upstream's csrapproving (sarapprove.go): a kubelet client certificate
// request is approved when its requestor may create
// certificatesigningrequests/selfnodeclient (renewing its own identity) or
// /nodeclient (a bootstrap token asking for a new node), as a
// SubjectAccessReview for that requestor answers. Anything else is left for a
// person (`kubectl certificate approve`).

interface Recognizer {
  subresource: 'selfnodeclient' | 'nodeclient' | 'nodeproxyclient' | 'nodelocalpathclient';
  message: string;
  recognize(csr: KubeObject, cn: string, problem: string | null): boolean;
}

/** k8ts (as k3s, whose server hands every joined agent a kube-proxy certificate): a node may get system:kube-proxy's. */
export const PROXY_USER = 'system:kube-proxy';
/** k8ts: the local-path provisioner every node runs for claims of its own pods writes PVs as this user. */
export const LOCAL_PATH_USER = 'system:k8ts:local-path-provisioner';

const fromNode = (csr: KubeObject) => (specOf(csr).groups ?? []).includes('system:nodes');

const RECOGNIZERS: Recognizer[] = [
  {
    subresource: 'nodeproxyclient',
    message: 'Auto approving kube-proxy client certificate for a node after SubjectAccessReview.',
    recognize: (csr, cn, problem) => specOf(csr).signerName === APISERVER_CLIENT_SIGNER && problem === null && cn === PROXY_USER && fromNode(csr),
  },
  {
    subresource: 'nodelocalpathclient',
    message: 'Auto approving local-path provisioner client certificate for a node after SubjectAccessReview.',
    recognize: (csr, cn, problem) => specOf(csr).signerName === APISERVER_CLIENT_SIGNER && problem === null && cn === LOCAL_PATH_USER && fromNode(csr),
  },
  {
    subresource: 'selfnodeclient',
    message: 'Auto approving self kubelet client certificate after SubjectAccessReview.',
    recognize: (csr, cn, problem) => specOf(csr).signerName === KUBELET_CLIENT_SIGNER && problem === null && specOf(csr).username === cn,
  },
  {
    subresource: 'nodeclient',
    message: 'Auto approving kubelet client certificate after SubjectAccessReview.',
    recognize: (csr, _cn, problem) => specOf(csr).signerName === KUBELET_CLIENT_SIGNER && problem === null,
  },
];

async function authorized(ctx: ControllerContext, csr: KubeObject, subresource: string): Promise<boolean> {
  const s = specOf(csr);
  const sar = await ctx.client.create(SUBJECT_ACCESS_REVIEWS, undefined, {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    metadata: {},
    spec: {
      user: s.username,
      uid: s.uid,
      groups: s.groups,
      extra: s.extra,
      resourceAttributes: { group: 'certificates.k8s.io', resource: 'certificatesigningrequests', verb: 'create', subresource, version: '*' },
    },
  } as KubeObject);
  return ((sar.status ?? {}) as { allowed?: boolean }).allowed === true;
}

export async function startCsrApprover(ctx: ControllerContext): Promise<RunningController> {
  const csrs = ctx.informers.informerFor(CSRS);
  const worker: KeyWorker = new KeyWorker({
    name: 'csrapproving',
    workers: 5,
    async sync(name) {
      const csr = csrs.store.get(name);
      if (!csr || certificateOf(csr) || hasCondition(csr, 'Approved') || hasCondition(csr, 'Denied')) return;
      const signer = specOf(csr).signerName;
      if (signer !== KUBELET_CLIENT_SIGNER && signer !== APISERVER_CLIENT_SIGNER) return;
      const req = parseRequest(csr);
      if (req instanceof Error) {
        worker.log.info({ csr: name, err: req.message }, 'unable to parse csr');
        return;
      }
      const usages = specOf(csr).usages ?? [];
      const problem = signer === KUBELET_CLIENT_SIGNER ? kubeletClientProblem(req, usages) : proxyClientProblem(req, usages);
      const tried: string[] = [];
      for (const r of RECOGNIZERS) {
        if (!r.recognize(csr, req.commonName, problem)) continue;
        tried.push(r.subresource);
        if (!(await authorized(ctx, csr, r.subresource))) continue;
        const t = now();
        const next = structuredClone(csr);
        next.status = { ...(next.status ?? {}), conditions: [...conditionsOf(csr), { type: 'Approved', status: 'True', reason: 'AutoApproved', message: r.message, lastUpdateTime: t, lastTransitionTime: t }] };
        try {
          await ctx.client.updateSubresource(CSRS, undefined, name, 'approval', next);
        } catch (err) {
          if (isNotFound(err)) return;
          throw err;
        }
        worker.log.info({ csr: name, requestor: specOf(csr).username, as: r.subresource }, 'approved client certificate request');
        return;
      }
      if (tried.length) worker.log.info({ csr: name, recognizedAs: tried }, 'recognized csr but subject access review was not approved');
    },
  });
  return runOnAddOrUpdate(csrs, worker);
}

export const csrApprovingController: ControllerDescriptor = { name: 'csrapproving', start: startCsrApprover };
