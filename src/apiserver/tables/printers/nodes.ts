// Nodes: STATUS from the Ready condition plus SchedulingDisabled when
// cordoned, ROLES from node-role.kubernetes.io/* labels.

import type { KubeObject } from '../../../api/types.js';
import { DESC } from '../descriptions.js';
import { since } from '../duration.js';
import { rec, recs, str, strMap } from '../fields.js';
import { ageCol, col, nameCol, type Printer } from '../model.js';

const ROLE_PREFIX = 'node-role.kubernetes.io/';
const ROLE_LABEL = 'kubernetes.io/role';

function nodeStatus(node: KubeObject): string {
  const parts: string[] = [];
  // Upstream keeps the last condition of a type when a type repeats.
  const ready = recs(rec(node.status).conditions).filter((c) => c.type === 'Ready').pop();
  if (ready) parts.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (parts.length === 0) parts.push('Unknown');
  if (rec(node.spec).unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

export function nodeRoles(labels: unknown): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(strMap(labels))) {
    if (k.startsWith(ROLE_PREFIX)) {
      const role = k.slice(ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === ROLE_LABEL && v !== '') {
      roles.add(v);
    }
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

function address(node: KubeObject, type: string): string {
  const a = recs(rec(node.status).addresses).find((x) => x.type === type);
  return a ? str(a.address) : '<none>';
}

export const nodePrinter: Printer = {
  columns: [
    nameCol(),
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    ageCol(),
    col('Version', 'string', DESC.kubeletVersion),
    col('Internal-IP', 'string', DESC.nodeAddresses, 1),
    col('External-IP', 'string', DESC.nodeAddresses, 1),
    col('OS-Image', 'string', DESC.osImage, 1),
    col('Kernel-Version', 'string', DESC.kernelVersion, 1),
    col('Container-Runtime', 'string', DESC.containerRuntimeVersion, 1),
  ],
  print(node, now) {
    const info = rec(rec(node.status).nodeInfo);
    return {
      cells: [
        str(node.metadata.name),
        nodeStatus(node),
        nodeRoles(node.metadata.labels),
        since(node.metadata.creationTimestamp, now),
        str(info.kubeletVersion),
        address(node, 'InternalIP'),
        address(node, 'ExternalIP'),
        str(info.osImage) || '<unknown>',
        str(info.kernelVersion) || '<unknown>',
        str(info.containerRuntimeVersion) || '<unknown>',
      ],
    };
  },
};
