import http from 'node:http';
import type { KubeObject } from '../../api/types.js';
import { kubeletAddress } from '../handlers/pod-log.js';

// The one way the metrics code talks to a kubelet: address and port as
// pods/log finds them (InternalIP + daemonEndpoints), plain HTTP as the
// kubelet serves today. When the kubelet moves to HTTPS, only this function
// changes (TLS options and the API server's kubelet client certificate).

export interface KubeletGetOptions {
  timeoutMs: number;
  /** Shared keep-alive agent, so a scrape of many nodes reuses connections. */
  agent?: http.Agent;
}

export function kubeletGet(node: KubeObject, path: string, o: KubeletGetOptions): Promise<string> {
  const { host, port } = kubeletAddress(node);
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, agent: o.agent, timeout: o.timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`the kubelet of node ${node.metadata.name} answered ${res.statusCode}: ${body.trim().slice(0, 200)}`));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${o.timeoutMs} ms`)));
    req.on('error', (err) => reject(new Error(`cannot reach the kubelet of node ${node.metadata.name} at ${host}:${port}: ${err.message}`)));
  });
}
