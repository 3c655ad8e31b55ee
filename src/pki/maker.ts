import { Worker } from 'node:worker_threads';
import type { Issuer, KeyPairPem, LeafOptions } from './x509.js';
import { reapplyRuntimeFlags } from '../util/lean-start.js';

// The certificate maker (x509.ts over @peculiar/x509 and its ASN.1 stack) runs
// in a worker thread, started by the first request and ended once no request
// has come for IDLE_MS. A server issues certificates at start-up (its
// components' client certificates, on a first start its CA and keys) and then
// rarely (CSR signing): loaded in the main thread, that code stayed in memory
// for the process's life, 3.7 MB of live heap. Everything crossing the thread
// boundary is PEM text, dates and plain options.

export class CertificateMakerError extends Error {
  override readonly name = 'CertificateMakerError';
}

const IDLE_MS = 2_000;

type Op = 'createCa' | 'issueLeaf' | 'signCsrPem' | 'generateRsaKeyPairPem';
type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, Pending>();
let idleTimer: NodeJS.Timeout | undefined;

function failAll(w: Worker, err: Error): void {
  if (worker !== w) return;
  worker = undefined;
  clearTimeout(idleTimer);
  for (const p of pending.values()) p.reject(err);
  pending.clear();
}

function start(): Worker {
  // Not the process's execArgv: flags meant for the main program (--input-type, --import of a
  // probe or loader) are not for this worker, and some make a worker fail to start.
  const w = new Worker(new URL('./maker-worker.js', import.meta.url), { execArgv: [] });
  w.once('online', reapplyRuntimeFlags);
  w.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error !== undefined) p.reject(new CertificateMakerError(msg.error));
    else p.resolve(msg.result);
    if (pending.size === 0) {
      // Idle: the process may exit without waiting for it, and it ends after IDLE_MS.
      w.unref();
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        if (worker === w && pending.size === 0) {
          worker = undefined;
          void w.terminate();
        }
      }, IDLE_MS).unref();
    }
  });
  w.on('error', (err) => failAll(w, new CertificateMakerError(`certificate worker failed: ${err.message}`)));
  w.on('exit', (code) => failAll(w, new CertificateMakerError(`certificate worker exited with code ${code}`)));
  return w;
}

function call<T>(op: Op, ...args: unknown[]): Promise<T> {
  worker ??= start();
  clearTimeout(idleTimer);
  worker.ref();
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    worker!.postMessage({ op, id, args });
  });
}

export const createCa = (commonName: string, days: number): Promise<Issuer> => call('createCa', commonName, days);
export const issueLeaf = (ca: Issuer, opts: Omit<LeafOptions, 'publicKey'>): Promise<{ certPem: string; keyPem: string }> => call('issueLeaf', ca, opts);
export const signCsrPem = (issuer: Issuer, csrPem: string, opts: { usages: ('client' | 'server')[]; days: number; notBefore?: Date; notAfter?: Date; keyEncipherment?: boolean }): Promise<string> =>
  call('signCsrPem', issuer, csrPem, opts);
export const generateRsaKeyPairPem = (): Promise<KeyPairPem> => call('generateRsaKeyPairPem');
