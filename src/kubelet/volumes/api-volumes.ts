import type { Pod } from '../api-types.js';
import { forgetWritten, writeAtomic, type FileProjection } from './atomic-writer.js';
import { configMapFiles, downwardAPIFiles, secretFiles } from './projections.js';
import type { VolumePlugin, VolumeHost } from './plugin.js';
import { rm } from 'node:fs/promises';

// configMap, secret, downwardAPI and projected volumes: files computed from
// the API and written atomically; set up again on every resync so content
// follows the objects, as upstream's refresh does.

const DEFAULT_MODE = 0o644;

const tearDown = async ({ dir }: { dir: string }): Promise<void> => {
  forgetWritten(dir);
  await rm(dir, { recursive: true, force: true });
};

export const configMapPlugin: VolumePlugin = {
  name: 'kubernetes.io/configmap',
  refreshable: true,
  canSupport: (v) => !!v.configMap,
  async setUp({ pod, volume, dir, host }) {
    const cm = volume.configMap!;
    await writeAtomic(dir, await configMapFiles(host, pod, cm, cm.defaultMode ?? DEFAULT_MODE));
    return dir;
  },
  tearDown,
};

export const secretPlugin: VolumePlugin = {
  name: 'kubernetes.io/secret',
  refreshable: true,
  canSupport: (v) => !!v.secret,
  async setUp({ pod, volume, dir, host }) {
    const s = volume.secret!;
    await writeAtomic(dir, await secretFiles(host, pod, { name: s.secretName, items: s.items, optional: s.optional }, s.defaultMode ?? DEFAULT_MODE));
    return dir;
  },
  tearDown,
};

export const downwardAPIPlugin: VolumePlugin = {
  name: 'kubernetes.io/downward-api',
  refreshable: true,
  canSupport: (v) => !!v.downwardAPI,
  async setUp({ pod, volume, dir, host, podIP }) {
    const d = volume.downwardAPI!;
    await writeAtomic(dir, downwardAPIFiles(host, pod, d.items, d.defaultMode ?? DEFAULT_MODE, podIP));
    return dir;
  },
  tearDown,
};

/** Pods already told their token could not be issued, so the warning is not repeated each resync. */
const tokenWarnedPods = new Map<VolumeHost, Set<string>>();

function warnTokenOnce(host: VolumeHost, pod: Pod, volume: string): void {
  let set = tokenWarnedPods.get(host);
  if (!set) {
    set = new Set();
    tokenWarnedPods.set(host, set);
  }
  const key = `${pod.metadata.uid}/${volume}`;
  if (set.has(key)) return;
  set.add(key);
  host.recorder.event(pod, 'Warning', 'ServiceAccountTokenSkipped', `MountVolume.SetUp for volume "${volume}" : the API server does not serve TokenRequest (serviceaccounts/token); the projected token file is omitted`);
}

export const projectedPlugin: VolumePlugin = {
  name: 'kubernetes.io/projected',
  refreshable: true,
  canSupport: (v) => !!v.projected,
  async setUp({ pod, volume, dir, host, podIP }) {
    const p = volume.projected!;
    const mode = p.defaultMode ?? DEFAULT_MODE;
    const files: FileProjection[] = [];
    for (const src of p.sources ?? []) {
      if (src.configMap) files.push(...(await configMapFiles(host, pod, src.configMap, mode)));
      else if (src.secret) files.push(...(await secretFiles(host, pod, src.secret, mode)));
      else if (src.downwardAPI) files.push(...downwardAPIFiles(host, pod, src.downwardAPI.items, mode, podIP));
      else if (src.serviceAccountToken) {
        const token = await host.tokens.get(pod, src.serviceAccountToken.audience, src.serviceAccountToken.expirationSeconds);
        if (token === undefined) warnTokenOnce(host, pod, volume.name);
        else files.push({ path: src.serviceAccountToken.path, data: Buffer.from(token), mode });
      }
    }
    await writeAtomic(dir, files);
    return dir;
  },
  tearDown,
};

/** Forget per-pod warning state when a pod goes away. */
export function forgetPodWarnings(host: VolumeHost, uid: string): void {
  const set = tokenWarnedPods.get(host);
  if (!set) return;
  for (const k of set) if (k.startsWith(`${uid}/`)) set.delete(k);
  if (set.size === 0) tokenWarnedPods.delete(host);
}
