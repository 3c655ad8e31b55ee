import type { ControllerDescriptor } from './types.js';
import { replicaSetController } from './replicaset/controller.js';
import { deploymentController } from './deployment/controller.js';
import { daemonSetController } from './daemonset/controller.js';
import { jobController } from './job/controller.js';
import { statefulSetController } from './statefulset/controller.js';

// The workload controllers (issue #7), by upstream's --controllers names.
export const workloadControllers: ControllerDescriptor[] = [replicaSetController, deploymentController, daemonSetController, jobController, statefulSetController];
