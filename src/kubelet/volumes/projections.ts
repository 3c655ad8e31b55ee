import type { KubeObject } from '../../api/types.js';
import type { DownwardAPIVolumeFile, KeyToPath, Pod } from '../api-types.js';
import { podFieldValue, resourceFieldValue } from '../pod/env.js';
import type { FileProjection } from './atomic-writer.js';
import type { VolumeHost } from './plugin.js';
import type { WatchedResource } from './watched-objects.js';

// The file sets of configMap, secret and downwardAPI volumes, shared by the
// plain plugins and by projected volumes, with upstream's error messages.

async function getOptional(host: VolumeHost, resource: WatchedResource, pod: Pod, name: string): Promise<KubeObject | undefined> {
  return host.objects.get(resource, pod.metadata.namespace ?? 'default', name, pod.metadata.uid ?? '');
}

function project(kind: 'configmap' | 'secret', data: Map<string, Buffer>, items: KeyToPath[] | undefined, mode: number, optional: boolean): FileProjection[] {
  if (!items?.length) return [...data].map(([k, v]) => ({ path: k, data: v, mode }));
  const out: FileProjection[] = [];
  for (const it of items) {
    const v = data.get(it.key);
    if (v === undefined) {
      if (optional) continue;
      throw new Error(kind === 'configmap' ? `configmap references non-existent config key: ${it.key}` : `references non-existent secret key: ${it.key}`);
    }
    out.push({ path: it.path, data: v, mode: it.mode ?? mode });
  }
  return out;
}

export async function configMapFiles(host: VolumeHost, pod: Pod, src: { name?: string; items?: KeyToPath[]; optional?: boolean }, mode: number): Promise<FileProjection[]> {
  const name = src.name ?? '';
  const cm = await getOptional(host, 'configmaps', pod, name);
  if (!cm) {
    if (src.optional) return [];
    throw new Error(`configmap "${name}" not found`);
  }
  const data = new Map<string, Buffer>();
  for (const [k, v] of Object.entries((cm.data ?? {}) as Record<string, string>)) data.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries((cm.binaryData ?? {}) as Record<string, string>)) data.set(k, Buffer.from(v, 'base64'));
  return project('configmap', data, src.items, mode, !!src.optional);
}

export async function secretFiles(host: VolumeHost, pod: Pod, src: { name?: string; items?: KeyToPath[]; optional?: boolean }, mode: number): Promise<FileProjection[]> {
  const name = src.name ?? '';
  const s = await getOptional(host, 'secrets', pod, name);
  if (!s) {
    if (src.optional) return [];
    throw new Error(`secret "${name}" not found`);
  }
  const data = new Map<string, Buffer>();
  for (const [k, v] of Object.entries((s.data ?? {}) as Record<string, string>)) data.set(k, Buffer.from(v, 'base64'));
  return project('secret', data, src.items, mode, !!src.optional);
}

export function downwardAPIFiles(host: VolumeHost, pod: Pod, items: DownwardAPIVolumeFile[] | undefined, mode: number, podIP?: string): FileProjection[] {
  const out: FileProjection[] = [];
  for (const it of items ?? []) {
    let value = '';
    if (it.fieldRef) value = podFieldValue(pod, it.fieldRef.fieldPath, { podIP, hostIP: host.nodeIPs[0], hostIPs: host.nodeIPs, nodeName: host.nodeName });
    else if (it.resourceFieldRef) value = resourceFieldValue(pod, it.resourceFieldRef.containerName ?? '', it.resourceFieldRef, host.allocatable);
    out.push({ path: it.path, data: Buffer.from(value, 'utf8'), mode: it.mode ?? mode });
  }
  return out;
}
