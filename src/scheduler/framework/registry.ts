import type { PluginFactory } from './interface.js';
import { PrioritySort, NAME as PRIORITY_SORT } from '../plugins/prioritysort/priority-sort.js';
import { SchedulingGates, NAME as SCHEDULING_GATES } from '../plugins/schedulinggates/scheduling-gates.js';
import { NodeUnschedulable, NAME as NODE_UNSCHEDULABLE } from '../plugins/nodeunschedulable/node-unschedulable.js';
import { NodeName, NAME as NODE_NAME } from '../plugins/nodename/node-name.js';
import { NodePorts, NAME as NODE_PORTS } from '../plugins/nodeports/node-ports.js';
import { NodeResourcesFit, NAME as NODE_RESOURCES_FIT, type FitArgs } from '../plugins/noderesourcesfit/fit.js';
import { BalancedAllocation, NAME as BALANCED_ALLOCATION, type BalancedAllocationArgs } from '../plugins/balancedallocation/balanced-allocation.js';
import { NodeAffinity, NAME as NODE_AFFINITY, type NodeAffinityArgs } from '../plugins/nodeaffinity/node-affinity.js';
import { TaintToleration, NAME as TAINT_TOLERATION } from '../plugins/tainttoleration/taint-toleration.js';
import { PodTopologySpread, NAME as POD_TOPOLOGY_SPREAD } from '../plugins/podtopologyspread/topology-spread.js';
import { InterPodAffinity, NAME as INTER_POD_AFFINITY, type InterPodAffinityArgs } from '../plugins/interpodaffinity/inter-pod-affinity.js';
import { DefaultPreemption, NAME as DEFAULT_PREEMPTION, type DefaultPreemptionArgs } from '../plugins/defaultpreemption/default-preemption.js';
import { DefaultBinder, NAME as DEFAULT_BINDER } from '../plugins/defaultbinder/default-binder.js';
import { VolumeBinding, NAME as VOLUME_BINDING, type VolumeBindingArgs } from '../plugins/volumebinding/volume-binding.js';

// Plugin name → constructor: the in-tree registry of upstream's
// plugins/registry.go, for the plugins k8ts implements.

export type Registry = Map<string, PluginFactory>;

export function inTreeRegistry(): Registry {
  return new Map<string, PluginFactory>([
    [PRIORITY_SORT, () => new PrioritySort()],
    [SCHEDULING_GATES, () => new SchedulingGates()],
    [NODE_UNSCHEDULABLE, () => new NodeUnschedulable()],
    [NODE_NAME, () => new NodeName()],
    [NODE_PORTS, () => new NodePorts()],
    [NODE_RESOURCES_FIT, (args) => new NodeResourcesFit(args as FitArgs)],
    [BALANCED_ALLOCATION, (args) => new BalancedAllocation(args as BalancedAllocationArgs)],
    [NODE_AFFINITY, (args) => new NodeAffinity(args as NodeAffinityArgs)],
    [TAINT_TOLERATION, () => new TaintToleration()],
    [POD_TOPOLOGY_SPREAD, (_args, h) => new PodTopologySpread(h)],
    [INTER_POD_AFFINITY, (args, h) => new InterPodAffinity(h, args as InterPodAffinityArgs)],
    [DEFAULT_PREEMPTION, (args, h) => new DefaultPreemption(h, args as DefaultPreemptionArgs)],
    [DEFAULT_BINDER, (_args, h) => new DefaultBinder(h)],
    [VOLUME_BINDING, (args, h) => new VolumeBinding(h, args as VolumeBindingArgs)],
  ]);
}

/** Upstream plugins k8ts does not have yet (volumes, images, DRA): accepted in configuration and left out. */
export const UNIMPLEMENTED_UPSTREAM_PLUGINS = new Set([
  'VolumeRestrictions',
  'NodeVolumeLimits',
  'VolumeZone',
  'ImageLocality',
  'DynamicResources',
  'EBSLimits',
  'GCEPDLimits',
  'AzureDiskLimits',
  'CinderLimits',
]);
