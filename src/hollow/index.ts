export { HollowCluster, startHollowNodes } from './harness.js';
export type { HollowOptions, HollowNodeInfo } from './harness.js';
export { HollowNode } from './hollow-node.js';
export { startControlServer } from './control.js';
export type { ControlServer } from './control.js';
