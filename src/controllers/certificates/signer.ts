import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { logger } from '../../util/log.js';
import type { KubeObject } from '../../api/types.js';
import { isNotFound } from '../../client/status.js';
import { signCsrWith } from '../../pki/index.js';
import { DEFAULT_EXTRA, parseGoDuration } from '../options.js';
import { KeyWorker, runOnAddOrUpdate } from '../shared/worker.js';
import { CSRS } from '../core-resources.js';
import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import {
  APISERVER_CLIENT_SIGNER,
  apiServerClientProblem,
  certificateOf,
  conditionsOf,
  hasCondition,
  isApproved,
  KUBELET_CLIENT_SIGNER,
  KUBELET_SERVING_SIGNER,
  kubeletClientProblem,
  kubeletServingProblem,
  now,
  parseRequest,
  specOf,
} from './csr.js';

// Upstream's csrsigning: approved requests for the kubelet-client, kube-apiserver-client
// and kubelet-serving signers get a certificate from the cluster CA
// (--cluster-signing-cert-file/--cluster-signing-key-file), valid for
// --cluster-signing-duration or the shorter spec.expirationSeconds. A request
// its signer refuses gets a Failed condition (SignerValidationFailure).

const log = logger('csrsigning');
export const DEFAULT_CLUSTER_SIGNING_DURATION = DEFAULT_EXTRA['cluster-signing-duration']!;
const BACKDATE_MS = 5 * 60_000;
/** Upstream's PermissiveSigningPolicy.Short: shorter-lived certificates do not backdate their end. */
const SHORT_MS = 8 * 3600_000;
const MIN_EXPIRATION_MS = 600_000;

const SIGNERS: Record<string, (req: Exclude<ReturnType<typeof parseRequest>, Error>, usages: string[]) => string | null> = {
  [KUBELET_CLIENT_SIGNER]: kubeletClientProblem,
  [APISERVER_CLIENT_SIGNER]: (_req, usages) => apiServerClientProblem(usages),
  [KUBELET_SERVING_SIGNER]: kubeletServingProblem,
};

/** Upstream's signer duration: the signer's TTL, or the requested expirationSeconds when shorter (never under 10 minutes). */
export function certificateLifetimeMs(signerTtlMs: number, expirationSeconds: number | undefined): number {
  if (expirationSeconds === undefined || expirationSeconds === null) return signerTtlMs;
  return Math.min(signerTtlMs, Math.max(expirationSeconds * 1000, MIN_EXPIRATION_MS));
}

export async function startCsrSigner(ctx: ControllerContext): Promise<RunningController> {
  const certFile = ctx.options.extra['cluster-signing-cert-file'];
  const keyFile = ctx.options.extra['cluster-signing-key-file'];
  if (!certFile || !keyFile) {
    log.info('no --cluster-signing-cert-file/--cluster-signing-key-file: not signing certificates');
    return { async stop() {} };
  }
  const issuer = { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
  const ttlMs = parseGoDuration(ctx.options.extra['cluster-signing-duration'] ?? DEFAULT_CLUSTER_SIGNING_DURATION);
  const csrs = ctx.informers.informerFor(CSRS);
  const worker: KeyWorker = new KeyWorker({
    name: 'csrsigning',
    workers: 5,
    async sync(name) {
      const csr = csrs.store.get(name);
      if (!csr || !isApproved(csr) || hasCondition(csr, 'Failed') || certificateOf(csr)) return;
      const spec = specOf(csr);
      const check = SIGNERS[spec.signerName ?? ''];
      if (!check) return;
      const req = parseRequest(csr);
      const problem = req instanceof Error ? `unable to parse csr: ${req.message}` : check(req, spec.usages ?? []);
      const next: KubeObject = structuredClone(csr);
      if (problem) {
        const t = now();
        next.status = { ...(next.status ?? {}), conditions: [...conditionsOf(csr), { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: problem, lastUpdateTime: t, lastTransitionTime: t }] };
        worker.log.info({ csr: name, problem }, 'signer refused the request');
      } else {
        const lifetime = certificateLifetimeMs(ttlMs, spec.expirationSeconds);
        const start = Date.now();
        const notBefore = new Date(start - BACKDATE_MS);
        let notAfter = lifetime < SHORT_MS ? new Date(start + lifetime) : new Date(notBefore.getTime() + lifetime);
        const caNotAfter = new Date(new X509Certificate(issuer.certPem).validTo);
        if (notAfter > caNotAfter) notAfter = caNotAfter;
        const pem = await signCsrWith(issuer, Buffer.from(spec.request ?? '', 'base64').toString('latin1'), { usages: spec.usages ?? [], notBefore, notAfter });
        next.status = { ...(next.status ?? {}), certificate: Buffer.from(pem).toString('base64') };
      }
      try {
        await ctx.client.updateStatus(CSRS, undefined, next);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      if (!problem) worker.log.info({ csr: name, signer: spec.signerName, requestor: spec.username }, 'signed certificate');
    },
  });
  return runOnAddOrUpdate(csrs, worker);
}

export const csrSigningController: ControllerDescriptor = { name: 'csrsigning', start: startCsrSigner };
