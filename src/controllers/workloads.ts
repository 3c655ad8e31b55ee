import type { ControllerDescriptor } from './types.js';
import { replicaSetController } from './replicaset/controller.js';
import { deploymentController } from './deployment/controller.js';
import { daemonSetController } from './daemonset/controller.js';
import { jobController } from './job/controller.js';
import { cronJobController } from './cronjob/controller.js';
import { disruptionController } from './disruption/controller.js';
import { statefulSetController } from './statefulset/controller.js';

// The workload controllers (issues #7 and #15), by upstream's --controllers names.
export const workloadControllers: ControllerDescriptor[] = [replicaSetController, deploymentController, daemonSetController, jobController, statefulSetController, cronJobController, disruptionController];
