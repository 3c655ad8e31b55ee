// PodDisruptionBudgets and PriorityClasses, as upstream's printers.go.

import { since } from '../duration.js';
import { int, rec, str } from '../fields.js';
import { ageCol, col, nameCol, type Printer } from '../model.js';

const intOrString = (v: unknown): string => (v === undefined || v === null ? 'N/A' : String(v));

export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    nameCol(),
    col('Min Available', 'string', 'The minimum number of pods that must be available simultaneously.  This can be either an integer or a string specifying a percentage, e.g. "28%".'),
    col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable simultaneously.  This can be either an integer or a string specifying a percentage, e.g. "28%".'),
    col('Allowed Disruptions', 'integer', 'Number of pod disruptions that are currently allowed.'),
    ageCol(),
  ],
  print(pdb, now) {
    const spec = rec(pdb.spec);
    return { cells: [str(pdb.metadata.name), intOrString(spec.minAvailable), intOrString(spec.maxUnavailable), int(rec(pdb.status).disruptionsAllowed), since(pdb.metadata.creationTimestamp, now)] };
  },
};

export const priorityClassPrinter: Printer = {
  columns: [
    nameCol(),
    col('Value', 'integer', 'value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.'),
    col('Global-Default', 'boolean', 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.'),
    ageCol(),
    col('PreemptionPolicy', 'string', 'preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.'),
  ],
  print(pc, now) {
    const o = pc as unknown as Record<string, unknown>;
    return { cells: [str(pc.metadata.name), int(o.value), o.globalDefault === true, since(pc.metadata.creationTimestamp, now), str(o.preemptionPolicy)] };
  },
};
