import type { KubeObject } from '../../api/types.js';
import { isNotFound } from '../../client/status.js';
import { KeyWorker, runOnAddOrUpdate } from '../shared/worker.js';
import { CSRS, SUBJECT_ACCESS_REVIEWS } from '../core-resources.js';
import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import { APISERVER_CLIENT_SIGNER, apiServerClientProblem, conditionsOf, hasCondition, certificateOf, kubeletClientProblem, KUBELET_CLIENT_SIGNER, now, parseRequest, specOf } from './csr.js';
import type { ParsedCsr } from '../../pki/csr.js';
import { NODE_LOCAL_PATH_GROUP, nodeLocalPathUser, nodeNameOf } from '../../auth/user.js';

/** A bare client certificate: no organization, no subject alternative names, client usages. */
function proxyClientProblem(req: ParsedCsr, usages: string[]): string | null {
  if (req.organizations.length || req.dnsNames.length || req.ips.length || req.emails.length || req.uris.length) return 'a node component certificate names no organization and no alternative names';
  return componentUsageProblem(usages);
}

/** A node's local-path provisioner certificate: its one group, no subject alternative names, client usages. */
function localPathClientProblem(req: ParsedCsr, usages: string[]): string | null {
  if (req.organizations.length !== 1 || req.organizations[0] !== NODE_LOCAL_PATH_GROUP) return `subject organization is not ${NODE_LOCAL_PATH_GROUP}`;
  if (req.dnsNames.length || req.ips.length || req.emails.length || req.uris.length) return 'a node component certificate names no alternative names';
  return componentUsageProblem(usages);
}

function componentUsageProblem(usages: string[]): string | null {
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
  recognize(csr: KubeObject, req: ParsedCsr, usages: string[]): boolean;
}

/** k8ts (as k3s, whose server hands every joined agent a kube-proxy certificate): a node may get system:kube-proxy's. */
export const PROXY_USER = 'system:kube-proxy';

const fromNode = (csr: KubeObject) => (specOf(csr).groups ?? []).includes('system:nodes');
/** The node a CSR's requestor is, if a kubelet asked. */
const requestingNode = (csr: KubeObject): string | undefined => nodeNameOf({ username: specOf(csr).username ?? '', groups: specOf(csr).groups ?? [] });
const apiServerClient = (csr: KubeObject) => specOf(csr).signerName === APISERVER_CLIENT_SIGNER;
const kubeletClient = (csr: KubeObject) => specOf(csr).signerName === KUBELET_CLIENT_SIGNER;

const RECOGNIZERS: Recognizer[] = [
  {
    subresource: 'nodeproxyclient',
    message: 'Auto approving kube-proxy client certificate for a node after SubjectAccessReview.',
    recognize: (csr, req, usages) => apiServerClient(csr) && proxyClientProblem(req, usages) === null && req.commonName === PROXY_USER && fromNode(csr),
  },
  {
    // Only the requesting node's own provisioner identity: the server's (LOCAL_PATH_USER) writes PVs
    // cluster-wide, a node's only those of its own disk (NodeRestriction holds it to them).
    subresource: 'nodelocalpathclient',
    message: 'Auto approving local-path provisioner client certificate for a node after SubjectAccessReview.',
    recognize: (csr, req, usages) => {
      const node = requestingNode(csr);
      return apiServerClient(csr) && localPathClientProblem(req, usages) === null && node !== undefined && req.commonName === nodeLocalPathUser(node);
    },
  },
  {
    subresource: 'selfnodeclient',
    message: 'Auto approving self kubelet client certificate after SubjectAccessReview.',
    recognize: (csr, req, usages) => kubeletClient(csr) && kubeletClientProblem(req, usages) === null && specOf(csr).username === req.commonName,
  },
  {
    subresource: 'nodeclient',
    message: 'Auto approving kubelet client certificate after SubjectAccessReview.',
    recognize: (csr, req, usages) => kubeletClient(csr) && kubeletClientProblem(req, usages) === null,
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
      const tried: string[] = [];
      for (const r of RECOGNIZERS) {
        if (!r.recognize(csr, req, usages)) continue;
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
