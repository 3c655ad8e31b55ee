export { ExecRuntime, createExecRuntime, DEFAULT_POD_CIDR } from './runtime.js';
export type { ExecRuntimeOptions } from './runtime.js';
export type { Isolation } from './state.js';
export { defaultNetworkName, checkNoOverlap, podCIDROfNetwork } from './network.js';
