// The workload the multi-host tests and the pod network benchmark share: a
// Deployment "web" of busybox httpd pods spread over the nodes, serving one
// docroot under the cluster's temp dir, and a way to find what really runs
// (each pod's httpd process, seen from /proc, with its network namespace's
// eth0) whatever the API says.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kubectlOk } from '../helpers/kubectl.js';
import type { MultiHostCluster } from './harness.js';

export const WEB_BODY = 'pod network ok\n';

export async function webDeployment(c: MultiHostCluster, replicas: number, docroot: string, o: { whenUnsatisfiable?: 'ScheduleAnyway' | 'DoNotSchedule'; gracePeriod?: number } = {}): Promise<void> {
  await mkdir(docroot, { recursive: true });
  await writeFile(join(docroot, 'index.html'), WEB_BODY);
  const deploy = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: o.gracePeriod ?? 2,
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: o.whenUnsatisfiable ?? 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'web' } } }],
          containers: [{ name: 'httpd', image: 'busybox', command: ['httpd', '-f', '-p', '8080', '-h', docroot], ports: [{ containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }],
        },
      },
    },
  };
  await kubectlOk(c.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify(deploy) });
}

export interface PodProcess {
  pid: number;
  /** eth0's IPv4 address in the process's network namespace (the pod IP). */
  ip: string;
  mtu: number;
}

/** Every httpd serving this docroot now, with its pod's address and MTU. */
export function webProcesses(docroot: string): PodProcess[] {
  const out: PodProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (!cmd.includes('httpd') || !cmd.includes(docroot)) continue;
      const [link] = JSON.parse(execFileSync('nsenter', ['-t', name, '-n', 'ip', '-j', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { mtu: number; addr_info: { family: string; local: string }[] }[];
      const ip = link?.addr_info.find((a) => a.family === 'inet')?.local;
      if (ip) out.push({ pid: Number(name), ip, mtu: link.mtu });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}
