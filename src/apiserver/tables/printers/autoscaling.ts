// HorizontalPodAutoscalers: REFERENCE as Kind/Name and TARGETS as upstream's
// formatHPAMetrics prints them ("cpu: 23%/50%", at most two, then
// "+ N more..."). Both versions print from the v2 form.

import type { KubeObject } from '../../../api/types.js';
import { hpaFromV1 } from '../../../api/conversion/hpa.js';
import { rec, recs, str } from '../fields.js';
import { ageCol, col, nameCol, type Printer } from '../model.js';
import { since } from '../duration.js';

type Json = Record<string, any>;

const q = (v: unknown): string => (v === undefined || v === null ? '<unknown>' : String(v));

export function formatHPAMetrics(specs: Json[], statuses: Json[]): string {
  if (!specs.length) return '<none>';
  const list: string[] = [];
  specs.forEach((spec, i) => {
    const st = statuses[i];
    switch (spec.type) {
      case 'External': {
        const t = spec.external?.target ?? {};
        if (t.averageValue !== undefined) list.push(`${st?.external ? q(st.external.current?.averageValue) : '<unknown>'}/${q(t.averageValue)} (avg)`);
        else list.push(`${st?.external ? q(st.external.current?.value) : '<unknown>'}/${q(t.value)}`);
        break;
      }
      case 'Pods':
        list.push(`${st?.pods ? q(st.pods.current?.averageValue) : '<unknown>'}/${q(spec.pods?.target?.averageValue)}`);
        break;
      case 'Object': {
        const t = spec.object?.target ?? {};
        if (t.averageValue !== undefined) list.push(`${st?.object ? q(st.object.current?.averageValue) : '<unknown>'}/${q(t.averageValue)} (avg)`);
        else list.push(`${st?.object ? q(st.object.current?.value) : '<unknown>'}/${q(t.value)}`);
        break;
      }
      case 'Resource':
      case 'ContainerResource': {
        const src = spec.type === 'Resource' ? spec.resource : spec.containerResource;
        const cur = spec.type === 'Resource' ? st?.resource : st?.containerResource;
        const t = src?.target ?? {};
        if (t.averageValue !== undefined) {
          list.push(`${str(src?.name)}: ${cur ? q(cur.current?.averageValue) : '<unknown>'}/${q(t.averageValue)}`);
        } else {
          const current = cur?.current?.averageUtilization !== undefined ? `${cur.current.averageUtilization}%` : '<unknown>';
          const target = t.averageUtilization !== undefined ? `${t.averageUtilization}%` : '<auto>';
          list.push(`${str(src?.name)}: ${current}/${target}`);
        }
        break;
      }
      default:
        list.push('<unknown type>');
    }
  });
  const max = 2;
  if (list.length > max) return `${list.slice(0, max).join(', ')} + ${list.length - max} more...`;
  return list.join(', ');
}

export const horizontalPodAutoscalerPrinter: Printer = {
  columns: [
    nameCol(),
    col('Reference', 'string', 'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.'),
    col('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).'),
    col('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
    col('MaxPods', 'integer', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.'),
    col('Replicas', 'string', 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.'),
    ageCol(),
  ],
  print(obj: KubeObject, now) {
    const hpa = obj.apiVersion === 'autoscaling/v1' ? hpaFromV1(obj) : obj;
    const spec = rec(hpa.spec);
    const ref = rec(spec.scaleTargetRef);
    const min = spec.minReplicas;
    return {
      cells: [
        str(hpa.metadata.name),
        `${str(ref.kind)}/${str(ref.name)}`,
        formatHPAMetrics(recs(spec.metrics), recs(rec(hpa.status).currentMetrics)),
        typeof min === 'number' ? String(min) : '<unset>',
        Number(spec.maxReplicas ?? 0),
        Number(rec(hpa.status).currentReplicas ?? 0),
        since(hpa.metadata.creationTimestamp, now),
      ],
    };
  },
};
