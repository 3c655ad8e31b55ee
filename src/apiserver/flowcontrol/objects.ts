// The FlowSchema and PriorityLevelConfiguration objects of the built-in
// configuration, created at start as upstream's apiserver does (the
// "apf_configuration" post-start hook), so `kubectl get flowschemas` shows
// what classifies requests. Their uids are what the X-Kubernetes-PF-*
// headers carry. Dispatch follows the built-in configuration: editing these
// objects does not change it yet (upstream's config controller would).
import { StatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { resourceFor } from '../../api/scheme/resources.js';
import type { Registry } from '../handlers/context.js';
import { logger } from '../../util/log.js';
import type { FlowSchema, PriorityLevel } from './types.js';

const log = logger('apiserver');
const GROUP = 'flowcontrol.apiserver.k8s.io';
const API_VERSION = `${GROUP}/v1`;
/** Upstream's marker: the server keeps the spec of this object in line with its defaults. */
const AUTO_UPDATE = { 'apf.kubernetes.io/autoupdate-spec': 'true' };

async function ensure(registry: Registry, resource: string, obj: KubeObject, status?: (o: KubeObject) => KubeObject): Promise<string> {
  const store = registry.storeFor(resourceFor(GROUP, 'v1', resource)!);
  let current: KubeObject;
  try {
    current = await store.create(undefined, obj);
  } catch (err) {
    if (!(err instanceof StatusError && err.code === 409)) throw err;
    current = await store.get(undefined, obj.metadata.name!);
  }
  if (status) current = (await store.update(undefined, obj.metadata.name!, status, { subresource: 'status' })).object;
  return current.metadata.uid!;
}

/** Creates what is missing; returns each object's uid by name. */
export async function ensureFlowcontrolObjects(registry: Registry, schemas: readonly FlowSchema[], levels: readonly PriorityLevel[]): Promise<{ schemas: Map<string, string>; levels: Map<string, string> }> {
  const levelUids = new Map<string, string>();
  for (const l of levels) {
    const obj = { apiVersion: API_VERSION, kind: 'PriorityLevelConfiguration', metadata: { name: l.name, annotations: AUTO_UPDATE }, spec: l.spec } as unknown as KubeObject;
    levelUids.set(l.name, await ensure(registry, 'prioritylevelconfigurations', obj));
  }
  const schemaUids = new Map<string, string>();
  for (const fs of schemas) {
    const obj = { apiVersion: API_VERSION, kind: 'FlowSchema', metadata: { name: fs.name, annotations: AUTO_UPDATE }, spec: fs.spec } as unknown as KubeObject;
    const level = fs.spec.priorityLevelConfiguration.name;
    // Upstream's Dangling condition: whether the priority level the schema names exists.
    const dangling = (o: KubeObject): KubeObject => {
      const exists = levelUids.has(level);
      const conditions = [
        {
          type: 'Dangling',
          status: exists ? 'False' : 'True',
          lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          reason: exists ? 'Found' : 'NotFound',
          message: exists ? `This FlowSchema references the PriorityLevelConfiguration object named "${level}" and it exists` : `This FlowSchema references the PriorityLevelConfiguration object named "${level}" but there is no such object`,
        },
      ];
      const prev = (o as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions?.find((c) => c.type === 'Dangling');
      if (prev && prev.status === conditions[0]!.status) return o;
      return { ...o, status: { conditions } } as KubeObject;
    };
    schemaUids.set(fs.name, await ensure(registry, 'flowschemas', obj, dangling));
  }
  log.info({ flowSchemas: schemaUids.size, priorityLevels: levelUids.size }, 'API Priority and Fairness configuration in place');
  return { schemas: schemaUids, levels: levelUids };
}
