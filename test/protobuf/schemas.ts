// Schema registries for protobuf tests: the served one, and the served one
// plus autoscaling/v1 HorizontalPodAutoscaler, which kubectl autoscale sends
// but the served schema does not define yet.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSchemaRegistry, schemaRegistryFrom, type SchemaRegistry } from '../../src/api/schema/index.js';

export const schemas: SchemaRegistry = loadSchemaRegistry();

function definitionsJson(): Record<string, any> {
  const candidates = ['../../schema/definitions.json', '../../dist/schema/definitions.json'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error('dist/schema/definitions.json is missing; run npm run build');
  return (JSON.parse(readFileSync(found, 'utf8')) as { definitions: Record<string, any> }).definitions;
}

const V1 = 'io.k8s.api.autoscaling.v1';
const ref = (name: string): Record<string, string> => ({ $ref: `#/definitions/${name}` });
const int32 = { type: 'integer', format: 'int32' };

/** Property names and types from upstream's autoscaling/v1 types (json tags). */
const HPA_V1: Record<string, any> = {
  [`${V1}.HorizontalPodAutoscaler`]: {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' }, kind: { type: 'string' },
      metadata: ref('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'),
      spec: ref(`${V1}.HorizontalPodAutoscalerSpec`), status: ref(`${V1}.HorizontalPodAutoscalerStatus`),
    },
    'x-kubernetes-group-version-kind': [{ group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler' }],
  },
  [`${V1}.HorizontalPodAutoscalerSpec`]: {
    type: 'object',
    properties: {
      scaleTargetRef: ref(`${V1}.CrossVersionObjectReference`), minReplicas: int32, maxReplicas: int32,
      targetCPUUtilizationPercentage: int32,
    },
  },
  [`${V1}.HorizontalPodAutoscalerStatus`]: {
    type: 'object',
    properties: {
      observedGeneration: { type: 'integer', format: 'int64' }, lastScaleTime: ref('io.k8s.apimachinery.pkg.apis.meta.v1.Time'),
      currentReplicas: int32, desiredReplicas: int32, currentCPUUtilizationPercentage: int32,
    },
  },
  [`${V1}.CrossVersionObjectReference`]: {
    type: 'object',
    properties: { kind: { type: 'string' }, name: { type: 'string' }, apiVersion: { type: 'string' } },
  },
};

let withHpa: SchemaRegistry | undefined;

export function schemasWithAutoscalingV1(): SchemaRegistry {
  if (schemas.forKind('autoscaling', 'v1', 'HorizontalPodAutoscaler')) return schemas;
  withHpa ??= schemaRegistryFrom({ ...definitionsJson(), ...HPA_V1 });
  return withHpa;
}
