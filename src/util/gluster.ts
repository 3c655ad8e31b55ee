import { readFile, rm } from 'node:fs/promises';
import { mount, MountError } from './mount.js';

// A GlusterFS FUSE mount with Debian's mount.glusterfs, one server after
// the other as the Endpoints object lists them: the first that serves the
// volume file wins. On failure the error says what mount said and adds the
// error lines of the client's log, as upstream's glusterfs plugin did.

export interface GlusterEndpoints {
  subsets?: { addresses?: { ip: string; hostname?: string }[] }[];
}

export function glusterServers(ep: GlusterEndpoints): string[] {
  const out: string[] = [];
  for (const s of ep.subsets ?? []) for (const a of s.addresses ?? []) if (!out.includes(a.ip)) out.push(a.ip);
  return out;
}

async function logErrors(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const errs = text.split('\n').filter((l) => / [EC] \[/.test(l));
  return errs.slice(-2).join('\n');
}

/** Mounts server:/path on target; path is the Gluster volume, optionally with a sub-directory ("vol/dir"). */
export async function mountGluster(servers: string[], path: string, target: string, opts: { readOnly?: boolean; logFile: string; mountOptions?: string[] }): Promise<string> {
  if (servers.length === 0) throw new MountError('failed to get any endpoints for the glusterfs servers');
  const errors: string[] = [];
  for (const server of servers) {
    await rm(opts.logFile, { force: true });
    const o = [`log-file=${opts.logFile}`, 'log-level=ERROR', ...(opts.readOnly ? ['ro'] : []), ...(opts.mountOptions ?? [])];
    try {
      await mount(`${server}:/${path.replace(/^\/+/, '')}`, target, 'glusterfs', o);
      return server;
    } catch (err) {
      const fromLog = await logErrors(opts.logFile);
      errors.push(fromLog ? `${(err as Error).message}, the following error information was pulled from the glusterfs log to help diagnose this issue: ${fromLog}` : (err as Error).message);
    }
  }
  throw new MountError(errors.join('\n'));
}
