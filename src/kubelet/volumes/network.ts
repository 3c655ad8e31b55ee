import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { resourceFor } from '../../api/scheme/resources.js';
import { isNotFound } from '../../client/status.js';
import { glusterServers, mountGluster, type GlusterEndpoints } from '../../util/gluster.js';
import { mount } from '../../util/mount.js';
import type { Volume } from '../api-types.js';
import type { VolumePlugin, VolumeSetUpContext, VolumeTearDownContext } from './plugin.js';
import { acquire, mountKey, release } from './shared-mount.js';

// nfs and glusterfs: the node mounts the remote file system once, under the
// plugin's directory, and every pod using it binds that one mount (the
// runtime's bind mount into the container). A failed mount throws the
// mount command's own words for the FailedMount event.

const ENDPOINTS = resourceFor('', 'v1', 'endpoints')!;

export interface GlusterSource {
  endpoints: string;
  endpointsNamespace?: string;
  path: string;
  readOnly?: boolean;
}

export interface NfsSource {
  server: string;
  path: string;
  readOnly?: boolean;
}

function mustPluginDir(ctx: { pluginDir?: string }): string {
  if (!ctx.pluginDir) throw new Error('the volume manager gave no plugin directory');
  return ctx.pluginDir;
}

export async function tearDownShared(ctx: VolumeTearDownContext): Promise<void> {
  const key = await readFile(join(ctx.dir, 'shared-mount'), 'utf8').catch(() => undefined);
  if (key) await release(mustPluginDir(ctx), key, ctx.dir);
  await rm(ctx.dir, { recursive: true, force: true });
}

export async function setUpGluster(ctx: VolumeSetUpContext, src: GlusterSource, readOnly: boolean): Promise<string> {
  const pluginDir = mustPluginDir(ctx);
  const ns = src.endpointsNamespace || ctx.pod.metadata.namespace || 'default';
  let ep: GlusterEndpoints;
  try {
    ep = (await ctx.host.client.get(ENDPOINTS, ns, src.endpoints)) as GlusterEndpoints;
  } catch (err) {
    if (isNotFound(err)) throw new Error(`endpoints "${src.endpoints}" not found in namespace "${ns}"`);
    throw err;
  }
  const servers = glusterServers(ep);
  const key = mountKey(`${src.path}${readOnly ? ':ro' : ''}`);
  return acquire(pluginDir, key, ctx.dir, async (target) => {
    await mkdir(join(pluginDir, 'logs'), { recursive: true });
    const used = await mountGluster(servers, src.path, target, { readOnly, logFile: join(pluginDir, 'logs', `${key}.log`) });
    ctx.host.log.info({ path: src.path, server: used, target }, 'glusterfs volume mounted');
  });
}

export async function setUpNfs(ctx: VolumeSetUpContext, src: NfsSource, readOnly: boolean): Promise<string> {
  const key = mountKey(`${src.server}:${src.path}${readOnly ? ':ro' : ''}`);
  return acquire(mustPluginDir(ctx), key, ctx.dir, async (target) => {
    await mount(`${src.server}:${src.path}`, target, 'nfs', readOnly ? ['ro'] : []);
  });
}

export const glusterfsPlugin: VolumePlugin = {
  name: 'kubernetes.io/glusterfs',
  canSupport: (v: Volume) => !!v.glusterfs,
  setUp: (ctx) => {
    const g = ctx.volume.glusterfs as GlusterSource;
    return setUpGluster(ctx, g, g.readOnly === true);
  },
  tearDown: tearDownShared,
};

export const nfsPlugin: VolumePlugin = {
  name: 'kubernetes.io/nfs',
  canSupport: (v: Volume) => !!v.nfs,
  setUp: (ctx) => {
    const n = ctx.volume.nfs as NfsSource;
    return setUpNfs(ctx, n, n.readOnly === true);
  },
  tearDown: tearDownShared,
};
