import { mkdir, readdir, realpath, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mount } from '../../runtime/interface.js';
import type { Container, Pod, Volume } from '../api-types.js';
import * as ev from '../events.js';
import { Backoff } from '../util/backoff.js';
import { configMapPlugin, downwardAPIPlugin, forgetPodWarnings, projectedPlugin, secretPlugin } from './api-volumes.js';
import { emptyDirPlugin } from './emptydir.js';
import { hostPathPlugin } from './hostpath.js';
import { glusterfsPlugin, nfsPlugin } from './network.js';
import { persistentClaimPlugin } from './pvc.js';
import { pluginDirName, type VolumeHost, type VolumePlugin } from './plugin.js';

// Makes a pod's volumes ready before its containers start and turns
// volumeMounts into the runtime's Mount records, as upstream's volume
// manager (desired state = the pod's spec, actual = what is on disk). A
// failing volume produces a FailedMount event and a retry with back-off;
// the pod's containers wait as ContainerCreating meanwhile.

export const DEFAULT_PLUGINS: readonly VolumePlugin[] = [emptyDirPlugin, hostPathPlugin, configMapPlugin, secretPlugin, downwardAPIPlugin, projectedPlugin, persistentClaimPlugin, glusterfsPlugin, nfsPlugin];

interface PodVolumes {
  paths: Map<string, string>;
  refreshedAt: number;
}

export type SetUpResult = { ok: true; paths: Map<string, string> } | { ok: false; retryInMs: number };

export class VolumeManager {
  private readonly pods = new Map<string, PodVolumes>();
  private readonly backoff = new Backoff({ initialMs: 500, maxMs: 122_000 });

  constructor(
    private readonly host: VolumeHost,
    private readonly rootDir: string,
    private readonly plugins: readonly VolumePlugin[] = DEFAULT_PLUGINS,
    private readonly refreshMs = 60_000,
  ) {}

  podDir(uid: string): string {
    return join(this.rootDir, 'pods', uid);
  }

  private pluginFor(v: Volume): VolumePlugin | undefined {
    return this.plugins.find((p) => p.canSupport(v));
  }

  private pluginDir(plugin: VolumePlugin): string {
    return join(this.rootDir, 'plugins', pluginDirName(plugin));
  }

  private volumeDir(uid: string, plugin: VolumePlugin, name: string): string {
    return join(this.podDir(uid), 'volumes', pluginDirName(plugin), name);
  }

  /** Sets up every volume not yet ready (and refreshes API-backed ones once per refresh period). */
  async setUpPod(pod: Pod, podIP?: string): Promise<SetUpResult> {
    const uid = pod.metadata.uid!;
    const volumes = pod.spec.volumes ?? [];
    const known = this.pods.get(uid);
    const now = Date.now();
    const refresh = !known || now - known.refreshedAt >= this.refreshMs;
    if (known && !refresh && volumes.every((v) => known.paths.has(v.name))) return { ok: true, paths: known.paths };
    const key = `${uid}/volumes`;
    if (this.backoff.isInBackOffSinceUpdate(key)) return { ok: false, retryInMs: this.backoff.retryAt(key, now)! - now };
    const paths = new Map(known?.paths);
    let failed = false;
    for (const v of volumes) {
      const plugin = this.pluginFor(v);
      if (!plugin) {
        // Volume types this node has no plugin for (cloud disks, CSI) cannot be mounted.
        this.fail(pod, v.name, `volume plugin not found for volume ${v.name}`);
        failed = true;
        continue;
      }
      if (paths.has(v.name) && !(refresh && plugin.refreshable)) continue;
      try {
        paths.set(v.name, await plugin.setUp({ pod, volume: v, dir: this.volumeDir(uid, plugin, v.name), host: this.host, podIP, pluginDir: this.pluginDir(plugin) }));
      } catch (err) {
        this.fail(pod, v.name, (err as Error).message);
        failed = true;
      }
    }
    if (failed) {
      this.backoff.next(key);
      this.pods.set(uid, { paths, refreshedAt: known?.refreshedAt ?? 0 });
      return { ok: false, retryInMs: this.backoff.get(key) };
    }
    this.backoff.reset(key);
    this.pods.set(uid, { paths, refreshedAt: refresh ? now : known!.refreshedAt });
    return { ok: true, paths };
  }

  private fail(pod: Pod, volume: string, cause: string): void {
    this.host.recorder.event(pod, 'Warning', ev.FailedMountVolume, `MountVolume.SetUp failed for volume "${volume}" : ${cause}`);
    this.host.log.warn({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, volume, err: cause }, 'volume set-up failed');
  }

  /** Mount records for a container; subPaths are resolved to host paths and created when missing. */
  async mountsFor(pod: Pod, container: Container, paths: Map<string, string>): Promise<Mount[]> {
    const out: Mount[] = [];
    for (const m of container.volumeMounts ?? []) {
      const base = paths.get(m.name);
      if (base === undefined) throw new Error(`cannot find volume "${m.name}" to mount into container "${container.name}"`);
      let hostPath = base;
      if (m.subPath) {
        if (m.subPath.startsWith('/') || m.subPath.split('/').includes('..')) throw new Error(`invalid subPath "${m.subPath}"`);
        hostPath = join(base, m.subPath);
        const st = await stat(hostPath).catch(() => undefined);
        if (!st) await mkdir(hostPath, { recursive: true, mode: 0o755 });
        else hostPath = await realpath(hostPath);
      }
      out.push({ hostPath, containerPath: m.mountPath, readOnly: m.readOnly === true });
    }
    return out;
  }

  /** Removes every volume of a pod and the pod's directory. */
  async tearDownPod(uid: string, pod?: Pod): Promise<void> {
    const volumes = pod?.spec.volumes ?? [];
    for (const plugin of this.plugins) {
      if (!plugin.tearDown) continue;
      const base = join(this.podDir(uid), 'volumes', pluginDirName(plugin));
      const names = volumes.filter((v) => plugin.canSupport(v)).map((v) => v.name);
      const onDisk = await readdir(base).catch(() => [] as string[]);
      for (const name of new Set([...names, ...onDisk])) {
        await plugin.tearDown({ dir: join(base, name), volume: volumes.find((v) => v.name === name), host: this.host, pluginDir: this.pluginDir(plugin) }).catch((err: Error) =>
          this.host.log.warn({ uid, volume: name, err: err.message }, 'volume tear-down failed'),
        );
      }
    }
    await rm(this.podDir(uid), { recursive: true, force: true });
    this.pods.delete(uid);
    this.host.tokens.deletePod(uid);
    this.host.objects.releasePod(uid);
    this.backoff.reset(`${uid}/volumes`);
    forgetPodWarnings(this.host, uid);
  }
}
