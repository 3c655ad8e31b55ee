import { mkdir, mkdtemp, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceFor } from '../../api/scheme/resources.js';
import type { RestClient } from '../../client/rest.js';
import { glusterServers, mountGluster, type GlusterEndpoints } from '../../util/gluster.js';
import { unmount } from '../../util/mount.js';
import type { Provisioner, ProvisionRequest } from './provisioner.js';
import { GLUSTERFS_PROVISIONER, type PersistentVolume } from './types.js';

// The glusterfs class: every claim gets its own directory on one configured
// Gluster volume (class parameters: endpoints, endpointsNamespace, volume),
// and its PV mounts that sub-directory (mount.glusterfs server:/vol/dir).
// The volume is mounted here only for the mkdir or the rm and unmounted
// right after; it is network storage, reachable from wherever this runs.

const ENDPOINTS = resourceFor('', 'v1', 'endpoints')!;

interface Params {
  endpoints: string;
  endpointsNamespace: string;
  volume: string;
}

function params(p: Record<string, string> | undefined): Params {
  const endpoints = p?.endpoints;
  const volume = p?.volume;
  if (!endpoints) throw new Error('StorageClass parameter "endpoints" is required');
  if (!volume) throw new Error('StorageClass parameter "volume" is required');
  return { endpoints, endpointsNamespace: p?.endpointsNamespace ?? 'default', volume };
}

export class GlusterProvisioner implements Provisioner {
  readonly name = GLUSTERFS_PROVISIONER;

  constructor(private readonly client: RestClient) {}

  private async withVolume<T>(p: Params, fn: (root: string) => Promise<T>): Promise<T> {
    const ep = await (this.client.get(ENDPOINTS, p.endpointsNamespace, p.endpoints)) as GlusterEndpoints;
    const dir = await mkdtemp(join(tmpdir(), 'k8ts-glusterfs-provisioner-'));
    const target = join(dir, 'mnt');
    await mkdir(target);
    try {
      await mountGluster(glusterServers(ep), p.volume, target, { logFile: join(dir, 'glusterfs.log') });
      try {
        return await fn(target);
      } finally {
        await unmount(target);
      }
    } finally {
      await rmdir(target).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  }

  async provision(req: ProvisionRequest): Promise<PersistentVolume> {
    const p = params(req.storageClass.parameters);
    await this.withVolume(p, (root) => mkdir(join(root, req.pvName), { mode: 0o777 }).then(() => undefined).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    }));
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: req.pvName, annotations: { 'k8ts.io/glusterfs-volume': p.volume } },
      spec: {
        capacity: { storage: req.claim.spec.resources?.requests?.storage ?? '1Gi' },
        accessModes: req.claim.spec.accessModes ?? ['ReadWriteOnce'],
        glusterfs: { endpoints: p.endpoints, endpointsNamespace: p.endpointsNamespace, path: `${p.volume}/${req.pvName}` },
      },
    };
  }

  async delete(pv: PersistentVolume): Promise<void> {
    const g = pv.spec.glusterfs;
    if (!g) throw new Error(`volume ${pv.metadata.name} has no glusterfs source`);
    const [volume, ...sub] = g.path.replace(/^\/+/, '').split('/');
    if (sub.length === 0 || sub.includes('..')) throw new Error(`refusing to delete the whole Gluster volume ${g.path}`);
    await this.withVolume({ endpoints: g.endpoints, endpointsNamespace: g.endpointsNamespace ?? 'default', volume: volume! }, (root) => rm(join(root, ...sub), { recursive: true, force: true }));
  }

  /** A directory on a shared volume has no size of its own: growing the claim is always possible. */
  async expand(): Promise<void> {}
}

export function glusterProvisionerFromOptions(client: RestClient, _extra: Record<string, string>): Provisioner {
  return new GlusterProvisioner(client);
}
