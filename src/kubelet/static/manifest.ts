import { createHash } from 'node:crypto';
import { yaml } from '../../util/yaml.js';
import type { Pod } from '../api-types.js';

// Static pod manifests as upstream's config/file.go + common.go read them:
// YAML or JSON, several documents (or a v1 List) per file, each pod named
// <name>-<nodeName>, bound to this node, and given a uid hashed from its
// content, node and file, so the same manifest always yields the same pod
// (and a kubelet restart adopts it instead of starting it again).

export const ANNOTATION_CONFIG_HASH = 'kubernetes.io/config.hash';
export const ANNOTATION_CONFIG_SOURCE = 'kubernetes.io/config.source';
export const ANNOTATION_CONFIG_SEEN = 'kubernetes.io/config.seen';
export const ANNOTATION_CONFIG_MIRROR = 'kubernetes.io/config.mirror';

/** upstream generatePodName: the node name is lower-cased, as node names are. */
export function staticPodName(name: string, nodeName: string): string {
  return `${name}-${nodeName.toLowerCase()}`;
}

function validate(pod: Pod, where: string): void {
  if (pod.kind !== undefined && pod.kind !== 'Pod') throw new Error(`${where}: kind is ${JSON.stringify(pod.kind)}, not Pod`);
  if (pod.apiVersion !== undefined && pod.apiVersion !== 'v1') throw new Error(`${where}: apiVersion ${JSON.stringify(pod.apiVersion)} is not supported, use v1`);
  if (!pod.metadata?.name) throw new Error(`${where}: metadata.name: Required value: name or generateName is required`);
  const containers = pod.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) throw new Error(`${where}: spec.containers: Required value`);
  const names = new Set<string>();
  for (const [i, c] of containers.entries()) {
    if (!c?.name) throw new Error(`${where}: spec.containers[${i}].name: Required value`);
    if (!c.image) throw new Error(`${where}: spec.containers[${i}].image: Required value`);
    if (names.has(c.name)) throw new Error(`${where}: spec.containers[${i}].name: Duplicate value: ${JSON.stringify(c.name)}`);
    names.add(c.name);
  }
}

function stableJSON(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJSON).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJSON((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Parses one manifest file into static pods; throws with a message naming the problem. */
export function parseManifest(text: string, file: string, nodeName: string): Pod[] {
  const docs = yaml().parseAllDocuments(text);
  const out: Pod[] = [];
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0) throw new Error(`${file}: document ${i + 1}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${file}: document ${i + 1} is not an object`);
    const obj = value as { kind?: string; items?: unknown[] };
    const items = obj.kind === 'List' || obj.kind === 'PodList' ? (obj.items ?? []) : [obj];
    for (const item of items) {
      const pod = structuredClone(item) as Pod;
      validate(pod, `${file}: document ${i + 1}`);
      out.push(applyDefaults(pod, file, nodeName));
    }
  }
  return out;
}

export function applyDefaults(pod: Pod, file: string, nodeName: string): Pod {
  const hash = createHash('md5').update(stableJSON(pod)).update(`host:${nodeName}`).update(`file:${file}`).digest('hex');
  const spec = pod.spec;
  spec.nodeName = nodeName;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.enableServiceLinks ??= true;
  spec.schedulerName ??= 'default-scheduler';
  spec.tolerations = [...(spec.tolerations ?? []), { operator: 'Exists', effect: 'NoExecute' }];
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
    c.terminationMessagePath ??= '/dev/termination-log';
    (c as { terminationMessagePolicy?: string }).terminationMessagePolicy ??= 'File';
  }
  pod.apiVersion = 'v1';
  pod.kind = 'Pod';
  pod.metadata = {
    ...pod.metadata,
    name: staticPodName(pod.metadata.name!, nodeName),
    namespace: pod.metadata.namespace || 'default',
    uid: hash,
    annotations: {
      ...pod.metadata.annotations,
      [ANNOTATION_CONFIG_HASH]: hash,
      [ANNOTATION_CONFIG_SOURCE]: 'file',
      [ANNOTATION_CONFIG_SEEN]: new Date().toISOString(),
    },
  };
  pod.status = { phase: 'Pending' };
  return pod;
}

export function isMirrorPod(pod: Pod): boolean {
  return pod.metadata.annotations?.[ANNOTATION_CONFIG_MIRROR] !== undefined;
}

/** The mirror pod the API shows for a static pod (upstream's mirror_client CreateMirrorPod). */
export function mirrorPodFor(staticPod: Pod, nodeName: string, nodeUID: string): Pod {
  const m = structuredClone(staticPod);
  const hash = staticPod.metadata.annotations?.[ANNOTATION_CONFIG_HASH] ?? staticPod.metadata.uid!;
  const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, ...meta } = m.metadata;
  m.metadata = {
    ...meta,
    annotations: { ...meta.annotations, [ANNOTATION_CONFIG_MIRROR]: hash },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUID, controller: true }],
  };
  delete m.status;
  return m;
}
