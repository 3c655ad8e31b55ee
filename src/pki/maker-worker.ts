import { createCa, generateRsaKeyPairPem, issueLeaf, signCsrPem } from './x509.js';

// The child process behind maker.ts: runs one certificate operation per IPC
// message and exits when the parent disconnects (nothing else holds it).

const OPS = { createCa, issueLeaf, signCsrPem, generateRsaKeyPairPem } as const;

process.on('message', (msg: { id: number; op: keyof typeof OPS; args: unknown[] }) => {
  const fn = OPS[msg.op] as (...a: unknown[]) => Promise<unknown>;
  fn(...msg.args).then(
    (result) => process.send!({ id: msg.id, result }),
    (err: unknown) => process.send!({ id: msg.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
