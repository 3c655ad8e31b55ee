import http from 'node:http';
import https from 'node:https';
import type { KubeObject } from '../../api/types.js';
import { kubeletAddress } from '../handlers/pod-log.js';
import { tlsOptions, type KubeletClientConfig } from '../kubelet-client.js';

// The one way the metrics code talks to a kubelet: address and port as
// pods/log finds them (InternalIP + daemonEndpoints), over HTTPS with the
// API server's kube-apiserver-kubelet-client certificate as pods/log and
// exec do (plain HTTP only for an insecure test API server's kubelets).

export interface KubeletGetOptions {
  timeoutMs: number;
  /** Shared keep-alive agents, so a scrape of many nodes reuses connections. */
  agent?: http.Agent;
  httpsAgent?: https.Agent;
  /** The API server's kubelet client identity; absent: plain HTTP. */
  client?: KubeletClientConfig;
}

export function kubeletGet(node: KubeObject, path: string, o: KubeletGetOptions): Promise<string> {
  const { host, port } = kubeletAddress(node);
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`the kubelet of node ${node.metadata.name} answered ${res.statusCode}: ${body.trim().slice(0, 200)}`));
      });
      res.on('error', reject);
    };
    const req = o.client ? https.get({ host, port, path, agent: o.httpsAgent, timeout: o.timeoutMs, ...tlsOptions(o.client, host) }, onResponse) : http.get({ host, port, path, agent: o.agent, timeout: o.timeoutMs }, onResponse);
    req.on('timeout', () => req.destroy(new Error(`timed out after ${o.timeoutMs} ms`)));
    req.on('error', (err) => reject(new Error(`cannot reach the kubelet of node ${node.metadata.name} at ${host}:${port}: ${err.message}`)));
  });
}
