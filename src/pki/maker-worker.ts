import { parentPort } from 'node:worker_threads';
import { createCa, generateRsaKeyPairPem, issueLeaf, signCsrPem } from './x509.js';

// The worker side of maker.ts: runs one certificate operation per message.

const OPS = { createCa, issueLeaf, signCsrPem, generateRsaKeyPairPem } as const;

parentPort!.on('message', (msg: { id: number; op: keyof typeof OPS; args: unknown[] }) => {
  const fn = OPS[msg.op] as (...a: unknown[]) => Promise<unknown>;
  fn(...msg.args).then(
    (result) => parentPort!.postMessage({ id: msg.id, result }),
    (err: unknown) => parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
