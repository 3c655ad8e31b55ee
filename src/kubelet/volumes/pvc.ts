import { readFile, stat, writeFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { resourceFor } from '../../api/scheme/resources.js';
import type { KubeObject } from '../../api/types.js';
import { isNotFound } from '../../client/status.js';
import { checkHostPathType } from './hostpath.js';
import { setUpGluster, setUpNfs, tearDownShared, type GlusterSource, type NfsSource } from './network.js';
import type { VolumePlugin, VolumeSetUpContext, VolumeTearDownContext } from './plugin.js';

// persistentVolumeClaim volumes: the claim (in the pod's namespace) must be
// bound; its PersistentVolume's source is what gets mounted (hostPath,
// local, nfs or glusterfs). What was resolved is written next to the pod's
// volume so tear-down needs neither the claim nor the volume any more.

const PVCS = resourceFor('', 'v1', 'persistentvolumeclaims')!;
const PVS = resourceFor('', 'v1', 'persistentvolumes')!;
const RESOLVED = 'resolved.json';

interface PvSpec {
  claimRef?: { uid?: string; name?: string; namespace?: string } | null;
  hostPath?: { path: string; type?: string };
  local?: { path: string };
  nfs?: NfsSource;
  glusterfs?: GlusterSource;
}

type Resolved = { kind: 'glusterfs'; source: GlusterSource } | { kind: 'nfs'; source: NfsSource } | { kind: 'path'; path: string };

function siblingPluginDir(ctx: { pluginDir?: string }, name: string): string {
  if (!ctx.pluginDir) throw new Error('the volume manager gave no plugin directory');
  return join(dirname(ctx.pluginDir), name);
}

export const persistentClaimPlugin: VolumePlugin = {
  name: 'kubernetes.io/persistent-claim',
  canSupport: (v) => !!v.persistentVolumeClaim,
  async setUp(ctx: VolumeSetUpContext): Promise<string> {
    const src = ctx.volume.persistentVolumeClaim as { claimName: string; readOnly?: boolean };
    const ns = ctx.pod.metadata.namespace ?? 'default';
    let claim: KubeObject;
    try {
      claim = await ctx.host.client.get(PVCS, ns, src.claimName);
    } catch (err) {
      if (isNotFound(err)) throw new Error(`error processing PVC ${ns}/${src.claimName}: PVC is not found`);
      throw err;
    }
    const volumeName = (claim.spec as { volumeName?: string } | undefined)?.volumeName;
    const phase = (claim.status as { phase?: string } | undefined)?.phase;
    if (!volumeName || phase !== 'Bound') throw new Error(`error processing PVC ${ns}/${src.claimName}: PVC is not bound`);
    const pv = await ctx.host.client.get(PVS, undefined, volumeName);
    const spec = (pv.spec ?? {}) as PvSpec;
    if (spec.claimRef?.uid && spec.claimRef.uid !== claim.metadata.uid) throw new Error(`volume ${volumeName} is not bound to claim ${ns}/${src.claimName}`);
    const readOnly = src.readOnly === true;
    let resolved: Resolved;
    let path: string;
    if (spec.glusterfs) {
      resolved = { kind: 'glusterfs', source: spec.glusterfs };
      path = await setUpGluster({ ...ctx, pluginDir: siblingPluginDir(ctx, 'kubernetes.io~glusterfs') }, spec.glusterfs, readOnly || spec.glusterfs.readOnly === true);
    } else if (spec.nfs) {
      resolved = { kind: 'nfs', source: spec.nfs };
      path = await setUpNfs({ ...ctx, pluginDir: siblingPluginDir(ctx, 'kubernetes.io~nfs') }, spec.nfs, readOnly || spec.nfs.readOnly === true);
    } else if (spec.local) {
      const st = await stat(spec.local.path).catch(() => undefined);
      if (!st) throw new Error(`path "${spec.local.path}" does not exist`);
      path = spec.local.path;
      resolved = { kind: 'path', path };
    } else if (spec.hostPath) {
      await checkHostPathType(spec.hostPath.path, spec.hostPath.type);
      path = spec.hostPath.path;
      resolved = { kind: 'path', path };
    } else {
      throw new Error(`volume ${volumeName} has a source this node has no plugin for`);
    }
    await mkdir(ctx.dir, { recursive: true });
    await writeFile(join(ctx.dir, RESOLVED), JSON.stringify(resolved));
    return path;
  },
  async tearDown(ctx: VolumeTearDownContext): Promise<void> {
    const text = await readFile(join(ctx.dir, RESOLVED), 'utf8').catch(() => undefined);
    const r = text ? (JSON.parse(text) as Resolved) : undefined;
    if (r?.kind === 'glusterfs') return tearDownShared({ ...ctx, pluginDir: siblingPluginDir(ctx, 'kubernetes.io~glusterfs') });
    if (r?.kind === 'nfs') return tearDownShared({ ...ctx, pluginDir: siblingPluginDir(ctx, 'kubernetes.io~nfs') });
    await rm(ctx.dir, { recursive: true, force: true });
  },
};
