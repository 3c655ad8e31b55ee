// Pod controllers: ReplicationControllers, ReplicaSets, Deployments,
// DaemonSets, StatefulSets and the ControllerRevisions they keep.

import type { KubeObject } from '../../../api/types.js';
import { parseApiVersion } from '../../../api/types.js';
import { DESC } from '../descriptions.js';
import { since } from '../duration.js';
import { at, int, rec, recs, str } from '../fields.js';
import { formatLabelSelector, formatLabels, selectorString } from '../labels.js';
import { ageCol, col, nameCol, templateCols, type Printer } from '../model.js';

/** CONTAINERS and IMAGES cells: comma-joined, in template order. */
export function containerCells(podSpec: unknown): [string, string] {
  const containers = recs(rec(podSpec).containers);
  return [containers.map((c) => str(c.name)).join(','), containers.map((c) => str(c.image)).join(',')];
}

/** spec.replicas after defaulting (upstream never sees it unset). */
function desiredReplicas(obj: KubeObject): number {
  return int(rec(obj.spec).replicas, 1);
}

function status(obj: KubeObject): Record<string, unknown> {
  return rec(obj.status);
}

export const replicationControllerPrinter: Printer = {
  columns: [
    nameCol(),
    col('Desired', 'integer', DESC.rcSpecReplicas),
    col('Current', 'integer', DESC.rcStatusReplicas),
    col('Ready', 'integer', DESC.rcReadyReplicas),
    ageCol(),
    ...templateCols(),
    col('Selector', 'string', DESC.rcSelector, 1),
  ],
  print(rc, now) {
    const s = status(rc);
    return {
      cells: [
        str(rc.metadata.name),
        desiredReplicas(rc),
        int(s.replicas),
        int(s.readyReplicas),
        since(rc.metadata.creationTimestamp, now),
        ...containerCells(at(rc.spec, 'template', 'spec')),
        formatLabels(rec(rc.spec).selector),
      ],
    };
  },
};

export const replicaSetPrinter: Printer = {
  columns: [
    nameCol(),
    col('Desired', 'integer', DESC.rsSpecReplicas),
    col('Current', 'integer', DESC.rsStatusReplicas),
    col('Ready', 'integer', DESC.rsReadyReplicas),
    ageCol(),
    ...templateCols(),
    col('Selector', 'string', DESC.rsSelector, 1),
  ],
  print(rs, now) {
    const s = status(rs);
    return {
      cells: [
        str(rs.metadata.name),
        desiredReplicas(rs),
        int(s.replicas),
        int(s.readyReplicas),
        since(rs.metadata.creationTimestamp, now),
        ...containerCells(at(rs.spec, 'template', 'spec')),
        formatLabelSelector(rec(rs.spec).selector),
      ],
    };
  },
};

export const deploymentPrinter: Printer = {
  columns: [
    nameCol(),
    col('Ready', 'string', 'Number of the pod with ready state'),
    col('Up-to-date', 'string', DESC.deployUpdated),
    col('Available', 'string', DESC.deployAvailable),
    ageCol(),
    ...templateCols(),
    col('Selector', 'string', DESC.deploySelector, 1),
  ],
  print(d, now) {
    const s = status(d);
    return {
      cells: [
        str(d.metadata.name),
        `${int(s.readyReplicas)}/${desiredReplicas(d)}`,
        int(s.updatedReplicas),
        int(s.availableReplicas),
        since(d.metadata.creationTimestamp, now),
        ...containerCells(at(d.spec, 'template', 'spec')),
        selectorString(rec(d.spec).selector) ?? '<invalid>',
      ],
    };
  },
};

export const daemonSetPrinter: Printer = {
  columns: [
    nameCol(),
    col('Desired', 'integer', DESC.dsDesired),
    col('Current', 'integer', DESC.dsCurrent),
    col('Ready', 'integer', DESC.dsReady),
    col('Up-to-date', 'integer', DESC.dsUpdated),
    col('Available', 'integer', DESC.dsAvailable),
    col('Node Selector', 'string', DESC.nodeSelector),
    ageCol(),
    ...templateCols(),
    col('Selector', 'string', DESC.dsSelector, 1),
  ],
  print(ds, now) {
    const s = status(ds);
    const podSpec = at(ds.spec, 'template', 'spec');
    return {
      cells: [
        str(ds.metadata.name),
        int(s.desiredNumberScheduled),
        int(s.currentNumberScheduled),
        int(s.numberReady),
        int(s.updatedNumberScheduled),
        int(s.numberAvailable),
        formatLabels(rec(podSpec).nodeSelector),
        since(ds.metadata.creationTimestamp, now),
        ...containerCells(podSpec),
        formatLabelSelector(rec(ds.spec).selector),
      ],
    };
  },
};

export const statefulSetPrinter: Printer = {
  columns: [nameCol(), col('Ready', 'string', 'Number of the pod with ready state'), ageCol(), ...templateCols()],
  print(sts, now) {
    return {
      cells: [
        str(sts.metadata.name),
        `${int(status(sts).readyReplicas)}/${desiredReplicas(sts)}`,
        since(sts.metadata.creationTimestamp, now),
        ...containerCells(at(sts.spec, 'template', 'spec')),
      ],
    };
  },
};

/** "kind.group/name" of the controlling owner, lower-cased, as upstream's formatResourceName. */
function controllerOf(obj: KubeObject): string {
  const ref = (obj.metadata.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return '<none>';
  const { group } = parseApiVersion(ref.apiVersion);
  if (!ref.kind) return ref.name;
  return `${(group ? `${ref.kind}.${group}` : ref.kind).toLowerCase()}/${ref.name}`;
}

export const controllerRevisionPrinter: Printer = {
  columns: [nameCol(), col('Controller', 'string', 'Controller of the object'), col('Revision', 'string', DESC.revision), ageCol()],
  print: (cr, now) => ({ cells: [str(cr.metadata.name), controllerOf(cr), int(cr.revision), since(cr.metadata.creationTimestamp, now)] }),
};
