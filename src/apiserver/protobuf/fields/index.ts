// Every package's field table, indexed by full definition name.

import { indexPackages, type FieldIndex } from './table.js';
import { APPS_V1 } from './apps-v1.js';
import { AUTHENTICATION_V1 } from './authentication-v1.js';
import { AUTHORIZATION_V1 } from './authorization-v1.js';
import { AUTOSCALING_V1 } from './autoscaling-v1.js';
import { AUTOSCALING_V2 } from './autoscaling-v2.js';
import { BATCH_V1 } from './batch-v1.js';
import { CERTIFICATES_V1 } from './certificates-v1.js';
import { COORDINATION_V1 } from './coordination-v1.js';
import { CORE_V1 } from './core-v1.js';
import { DISCOVERY_V1 } from './discovery-v1.js';
import { EVENTS_V1 } from './events-v1.js';
import { FLOWCONTROL_V1 } from './flowcontrol-v1.js';
import { META_V1 } from './meta-v1.js';
import { NETWORKING_V1 } from './networking-v1.js';
import { POLICY_V1 } from './policy-v1.js';
import { RBAC_V1 } from './rbac-v1.js';
import { SCHEDULING_V1 } from './scheduling-v1.js';
import { STORAGE_V1 } from './storage-v1.js';

let index: FieldIndex | undefined;

export function fieldIndex(): FieldIndex {
  index ??= indexPackages([
    APPS_V1,
    AUTHENTICATION_V1,
    AUTHORIZATION_V1,
    AUTOSCALING_V1,
    AUTOSCALING_V2,
    BATCH_V1,
    CERTIFICATES_V1,
    COORDINATION_V1,
    CORE_V1,
    DISCOVERY_V1,
    EVENTS_V1,
    FLOWCONTROL_V1,
    META_V1,
    NETWORKING_V1,
    POLICY_V1,
    RBAC_V1,
    SCHEDULING_V1,
    STORAGE_V1,
  ]);
  return index;
}

export type { FieldIndex, FieldSpec, PackageFields } from './table.js';
