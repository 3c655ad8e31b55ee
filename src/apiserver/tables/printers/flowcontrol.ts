// FlowSchemas and PriorityLevelConfigurations, as upstream's printers.go.

import { since } from '../duration.js';
import { rec, str } from '../fields.js';
import { ageCol, col, nameCol, type Printer } from '../model.js';

const NONE = '<none>';
const orNone = (v: unknown): string | number => (typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? v : NONE);

export const flowSchemaPrinter: Printer = {
  columns: [
    nameCol(),
    col('PriorityLevel', 'string', '`name` is the name of the priority level configuration being referenced Required.'),
    col('MatchingPrecedence', 'string', '`matchingPrecedence` is used to choose among the FlowSchemas that match a given request. The chosen FlowSchema is among those with the numerically lowest (which we take to be logically highest) MatchingPrecedence.  Each MatchingPrecedence value must be ranged in [1,10000]. Note that if the precedence is not specified, it will be set to 1000 as default.'),
    col('DistinguisherMethod', 'string', '`type` is the type of flow distinguisher method The supported types are "ByUser" and "ByNamespace". Required.'),
    ageCol(),
    col('MissingPL', 'string', 'references a broken or non-existent PriorityLevelConfiguration'),
  ],
  print(fs, now) {
    const spec = rec(fs.spec);
    // "?" until a status says whether the referenced level exists (upstream's Dangling condition).
    let missing = '?';
    const conditions = rec(fs.status).conditions;
    if (Array.isArray(conditions)) for (const c of conditions) if (rec(c).type === 'Dangling') missing = str(rec(c).status);
    return {
      cells: [str(fs.metadata.name), str(rec(spec.priorityLevelConfiguration).name), orNone(spec.matchingPrecedence), spec.distinguisherMethod ? str(rec(spec.distinguisherMethod).type) : NONE, since(fs.metadata.creationTimestamp, now), missing],
    };
  },
};

export const priorityLevelConfigurationPrinter: Printer = {
  columns: [
    nameCol(),
    col('Type', 'string', '`type` indicates whether this priority level is subject to limitation on request execution.  A value of `"Exempt"` means that requests of this priority level are not subject to a limit (and thus are never queued) and do not detract from the capacity made available to other priority levels.  A value of `"Limited"` means that (a) requests of this priority level _are_ subject to limits and (b) some of the server\'s limited capacity is made available exclusively to this priority level. Required.'),
    col('NominalConcurrencyShares', 'string', '`nominalConcurrencyShares` (NCS) contributes to the computation of the NominalConcurrencyLimit (NominalCL) of this level.'),
    col('Queues', 'string', '`queues` is the number of queues for this priority level. The queues exist independently at each apiserver. The value must be positive.  Setting it to 1 effectively precludes shufflesharding and thus makes the distinguisher method of associated flow schemas irrelevant.  This field has a default value of 64.'),
    col('HandSize', 'string', '`handSize` is a small positive number that configures the shuffle sharding of requests into queues.'),
    col('QueueLengthLimit', 'string', '`queueLengthLimit` is the maximum number of requests allowed to be waiting in a given queue of this priority level at a time; excess requests are rejected.  This value must be positive.  If not specified, it will be defaulted to 50.'),
    ageCol(),
  ],
  print(pl, now) {
    const spec = rec(pl.spec);
    const limited = rec(spec.limited);
    const queuing = rec(rec(limited.limitResponse).queuing);
    return {
      cells: [str(pl.metadata.name), str(spec.type), orNone(limited.nominalConcurrencyShares), orNone(queuing.queues), orNone(queuing.handSize), orNone(queuing.queueLengthLimit), since(pl.metadata.creationTimestamp, now)],
    };
  },
};
