// Small hand-built schema trees with the same patch and list extensions as
// upstream's OpenAPI, enough for the patch and apply tests.

import type { SchemaNode } from '../../src/api/schema/types.js';

const str: SchemaNode = { type: 'string' };
const int: SchemaNode = { type: 'integer' };
const bool: SchemaNode = { type: 'boolean' };
const stringMap: SchemaNode = { type: 'object', additionalProperties: str };

function mergeList(items: SchemaNode, key: string, ...moreKeys: string[]): SchemaNode {
  return {
    type: 'array',
    items,
    'x-kubernetes-patch-merge-key': key,
    'x-kubernetes-patch-strategy': 'merge',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': [key, ...moreKeys],
  };
}

const atomicList = (items: SchemaNode): SchemaNode => ({ type: 'array', items, 'x-kubernetes-list-type': 'atomic' });

export const objectMeta: SchemaNode = {
  type: 'object',
  properties: {
    name: str,
    namespace: str,
    uid: str,
    resourceVersion: str,
    generation: int,
    creationTimestamp: str,
    labels: stringMap,
    annotations: stringMap,
    finalizers: { type: 'array', items: str, 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' },
    ownerReferences: mergeList(
      { type: 'object', properties: { apiVersion: str, kind: str, name: str, uid: str, controller: bool } },
      'uid',
    ),
    managedFields: atomicList({ type: 'object', properties: { manager: str } }),
  },
};

export const container: SchemaNode = {
  type: 'object',
  properties: {
    name: str,
    image: str,
    imagePullPolicy: str,
    args: atomicList(str),
    command: atomicList(str),
    env: mergeList({ type: 'object', properties: { name: str, value: str } }, 'name'),
    ports: mergeList({ type: 'object', properties: { containerPort: int, name: str, protocol: str } }, 'containerPort', 'protocol'),
    volumeMounts: mergeList({ type: 'object', properties: { name: str, mountPath: str } }, 'mountPath'),
    resources: { type: 'object', properties: { limits: stringMap, requests: stringMap } },
  },
};

const volume: SchemaNode = {
  type: 'object',
  properties: {
    name: str,
    emptyDir: { type: 'object', properties: { medium: str } },
    hostPath: { type: 'object', properties: { path: str } },
    configMap: { type: 'object', properties: { name: str } },
  },
};

export const podSpec: SchemaNode = {
  type: 'object',
  required: ['containers'],
  properties: {
    containers: mergeList(container, 'name'),
    initContainers: mergeList(container, 'name'),
    volumes: { ...mergeList(volume, 'name'), 'x-kubernetes-patch-strategy': 'merge,retainKeys' },
    nodeSelector: { ...stringMap, 'x-kubernetes-map-type': 'atomic' },
    restartPolicy: str,
    hostNetwork: bool,
  },
};

const labelSelector: SchemaNode = {
  type: 'object',
  'x-kubernetes-map-type': 'atomic',
  properties: { matchLabels: stringMap },
};

export const deployment: SchemaNode = {
  type: 'object',
  properties: {
    apiVersion: str,
    kind: str,
    metadata: objectMeta,
    spec: {
      type: 'object',
      properties: {
        replicas: int,
        selector: labelSelector,
        paused: bool,
        strategy: {
          type: 'object',
          'x-kubernetes-patch-strategy': 'retainKeys',
          properties: {
            type: str,
            rollingUpdate: { type: 'object', properties: { maxSurge: { 'x-kubernetes-int-or-string': true }, maxUnavailable: { 'x-kubernetes-int-or-string': true } } },
          },
        },
        template: { type: 'object', properties: { metadata: objectMeta, spec: podSpec } },
      },
    },
    status: { type: 'object', properties: { replicas: int, readyReplicas: int } },
  },
};

export const configMap: SchemaNode = {
  type: 'object',
  properties: { apiVersion: str, kind: str, metadata: objectMeta, data: stringMap, binaryData: stringMap, immutable: bool },
};
