import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Issuer, KeyPairPem, LeafOptions } from './x509.js';

// The certificate maker (x509.ts over @peculiar/x509 and its ASN.1 stack) runs
// in a child process, started by the first request and ended once no request
// has come for IDLE_MS. A server issues certificates at start-up (its
// components' client certificates, on a first start its CA and keys) and then
// rarely (CSR signing): loaded in the main thread, that code stayed in memory
// for the process's life, 3.7 MB of live heap. A worker thread gave that heap
// back but its thread's malloc arena kept ~7 MB of what it had freed, and its
// start reset V8's run-time flags (util/lean-start.ts); a process that exits
// gives everything back. Everything crossing the boundary is PEM text, dates and
// plain options (advanced serialization keeps the Dates).

export class CertificateMakerError extends Error {
  override readonly name = 'CertificateMakerError';
}

const IDLE_MS = 2_000;

type Op = 'createCa' | 'issueLeaf' | 'signCsrPem' | 'generateRsaKeyPairPem';
type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

let worker: ChildProcess | undefined;
let nextId = 0;
const pending = new Map<number, Pending>();
let idleTimer: NodeJS.Timeout | undefined;

function failAll(w: ChildProcess, err: Error): void {
  if (worker !== w) return;
  worker = undefined;
  clearTimeout(idleTimer);
  for (const p of pending.values()) p.reject(err);
  pending.clear();
}

function start(): ChildProcess {
  // Not the process's execArgv: flags meant for the main program (--import of a probe or loader,
  // inspector ports) are not for this helper.
  const w = fork(fileURLToPath(new URL('./maker-worker.js', import.meta.url)), [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  w.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error !== undefined) p.reject(new CertificateMakerError(msg.error));
    else p.resolve(msg.result);
    if (pending.size === 0) {
      // Idle: the process may exit without waiting for the helper, which ends after IDLE_MS.
      w.unref();
      w.channel?.unref();
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        if (worker === w && pending.size === 0) {
          worker = undefined;
          w.disconnect();
        }
      }, IDLE_MS).unref();
    }
  });
  w.on('error', (err) => failAll(w, new CertificateMakerError(`certificate maker process failed: ${err.message}`)));
  w.on('exit', (code: number | null, signal: NodeJS.Signals | null) => failAll(w, new CertificateMakerError(`certificate maker process exited (${signal ?? `code ${code}`})`)));
  return w;
}

function call<T>(op: Op, ...args: unknown[]): Promise<T> {
  worker ??= start();
  clearTimeout(idleTimer);
  worker.ref();
  worker.channel?.ref();
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    worker!.send({ op, id, args });
  });
}

export const createCa = (commonName: string, days: number): Promise<Issuer> => call('createCa', commonName, days);
export const issueLeaf = (ca: Issuer, opts: Omit<LeafOptions, 'publicKey'>): Promise<{ certPem: string; keyPem: string }> => call('issueLeaf', ca, opts);
export const signCsrPem = (issuer: Issuer, csrPem: string, opts: { usages: ('client' | 'server')[]; days: number; notBefore?: Date; notAfter?: Date; keyEncipherment?: boolean }): Promise<string> =>
  call('signCsrPem', issuer, csrPem, opts);
export const generateRsaKeyPairPem = (): Promise<KeyPairPem> => call('generateRsaKeyPairPem');
