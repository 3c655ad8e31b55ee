import https from 'node:https';

/** etcd's /health over client TLS: true once the member has a leader and no alarm. */
export function memberHealthy(url: string, tls: { caPem: Buffer; certPem: Buffer; keyPem: Buffer }): Promise<{ ok: boolean; why: string }> {
  return new Promise((resolve) => {
    const req = https.get(`${url}/health`, { ca: tls.caPem, cert: tls.certPem, key: tls.keyPem, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        try {
          const h = (JSON.parse(body) as { health?: string; reason?: string });
          resolve({ ok: res.statusCode === 200 && h.health === 'true', why: h.reason || `health ${h.health ?? '?'}` });
        } catch {
          resolve({ ok: false, why: `HTTP ${res.statusCode}` });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 3 s')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, why: err.code ?? err.message }));
  });
}
