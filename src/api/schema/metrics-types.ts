import { META_PACKAGE } from './groups.js';
import { QUANTITY, TIME } from './special-types.js';

// metrics.k8s.io/v1beta1 has no client-node models: its definitions are
// written here, named and shaped as metrics-server publishes them.

const PKG = 'io.k8s.metrics.pkg.apis.metrics.v1beta1';
const ref = (name: string): Record<string, unknown> => ({ $ref: `#/definitions/${name}` });
const gvk = (kind: string): Record<string, unknown>[] => [{ group: 'metrics.k8s.io', version: 'v1beta1', kind }];
const common = {
  apiVersion: { description: 'APIVersion defines the versioned schema of this representation of an object.', type: 'string' },
  kind: { description: 'Kind is a string value representing the REST resource this object represents.', type: 'string' },
};
const usage = { description: 'The memory and CPU usage.', type: 'object', additionalProperties: ref(QUANTITY) };
const list = (item: string, kind: string): Record<string, unknown> => ({
  description: `${item}List is a list of ${item}.`,
  type: 'object',
  required: ['items'],
  properties: { ...common, items: { description: `List of ${item.replace('Metrics', '').toLowerCase()} metrics.`, type: 'array', items: ref(`${PKG}.${item}`) }, metadata: ref(`${META_PACKAGE}.ListMeta`) },
  'x-kubernetes-group-version-kind': gvk(kind),
});

export const METRICS_DEFINITIONS: Record<string, Record<string, unknown>> = {
  [`${PKG}.ContainerMetrics`]: {
    description: 'ContainerMetrics sets resource usage metrics of a container.',
    type: 'object',
    required: ['name', 'usage'],
    properties: { name: { description: 'Container name corresponding to the one from pod.spec.containers.', type: 'string' }, usage },
  },
  [`${PKG}.NodeMetrics`]: {
    description: 'NodeMetrics sets resource usage metrics of a node.',
    type: 'object',
    required: ['timestamp', 'window', 'usage'],
    properties: { ...common, metadata: ref(`${META_PACKAGE}.ObjectMeta`), timestamp: ref(TIME), window: { description: 'The window over which usage was measured.', type: 'string' }, usage },
    'x-kubernetes-group-version-kind': gvk('NodeMetrics'),
  },
  [`${PKG}.NodeMetricsList`]: list('NodeMetrics', 'NodeMetricsList'),
  [`${PKG}.PodMetrics`]: {
    description: 'PodMetrics sets resource usage metrics of a pod.',
    type: 'object',
    required: ['timestamp', 'window', 'containers'],
    properties: {
      ...common,
      metadata: ref(`${META_PACKAGE}.ObjectMeta`),
      timestamp: ref(TIME),
      window: { description: 'The window over which usage was measured.', type: 'string' },
      containers: { description: 'Metrics for all containers are collected within the same time window.', type: 'array', items: ref(`${PKG}.ContainerMetrics`) },
    },
    'x-kubernetes-group-version-kind': gvk('PodMetrics'),
  },
  [`${PKG}.PodMetricsList`]: list('PodMetrics', 'PodMetricsList'),
};

/** Kinds these definitions cover, as "group/version Kind". */
export const METRICS_KINDS = new Set(['NodeMetrics', 'NodeMetricsList', 'PodMetrics', 'PodMetricsList'].map((k) => `metrics.k8s.io/v1beta1 ${k}`));
