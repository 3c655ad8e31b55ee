import type { Container, Pod, Probe } from '../api-types.js';
import type { KubeletContext } from '../context.js';
import * as ev from '../events.js';
import type { PodRuntimeState } from '../pod/runtime-state.js';
import { runProbe } from './probe.js';

// Probe workers as upstream's prober manager: one timer loop per probe of
// each running container. Results live here (readiness, startup, and a
// restart verdict for failed liveness/startup probes); a change asks the
// pod's worker to sync, which is where containers are actually killed.

type Kind = 'Liveness' | 'Readiness' | 'Startup';

interface ProbeWorker {
  timer?: NodeJS.Timeout;
  stopped: boolean;
}

export class ProberManager {
  readonly readiness = new Map<string, boolean>();
  readonly startup = new Map<string, boolean>();
  private readonly restart = new Map<string, string>();
  private readonly workers = new Map<string, ProbeWorker>();
  private readonly byPod = new Map<string, Set<string>>();

  constructor(private readonly ctx: KubeletContext) {}

  restartReason(containerId: string): string | undefined {
    return this.restart.get(containerId);
  }

  /** Starts workers for running containers with probes and stops those of containers that are gone. */
  sync(pod: Pod, state: PodRuntimeState, podIP: string | undefined): void {
    const uid = pod.metadata.uid!;
    const want = new Set<string>();
    for (const c of state.containers) {
      if (c.state !== 'CONTAINER_RUNNING') continue;
      const spec = pod.spec.containers.find((x) => x.name === c.metadata.name);
      if (!spec) continue;
      for (const [kind, probe] of [
        ['Startup', spec.startupProbe],
        ['Liveness', spec.livenessProbe],
        ['Readiness', spec.readinessProbe],
      ] as [Kind, Probe | undefined][]) {
        if (!probe) continue;
        const key = `${c.id}/${kind}`;
        want.add(key);
        if (!this.workers.has(key)) this.startWorker(key, kind, probe, pod, spec, c.id, podIP);
      }
    }
    const mine = this.byPod.get(uid) ?? new Set<string>();
    for (const key of mine) if (!want.has(key)) this.stopWorker(key);
    this.byPod.set(uid, want);
  }

  private startWorker(key: string, kind: Kind, probe: Probe, pod: Pod, container: Container, containerId: string, podIP: string | undefined): void {
    const w: ProbeWorker = { stopped: false };
    this.workers.set(key, w);
    const period = Math.max(1, probe.periodSeconds ?? 10) * 1000;
    const successThreshold = Math.max(1, probe.successThreshold ?? 1);
    const failureThreshold = Math.max(1, probe.failureThreshold ?? 3);
    let successes = 0;
    let failures = 0;
    const uid = pod.metadata.uid!;
    const fieldPath = `spec.containers{${container.name}}`;
    const tick = async (): Promise<void> => {
      if (w.stopped) return;
      // Liveness and readiness wait for a startup probe to succeed, as upstream.
      if (kind !== 'Startup' && container.startupProbe && this.startup.get(containerId) !== true) return schedule();
      const r = await runProbe(probe, { runtime: this.ctx.runtime, containerId, container, podIP, assumeNetworkSuccess: this.ctx.lightweight });
      if (w.stopped) return;
      if (r.ok) {
        failures = 0;
        successes++;
        if (successes >= successThreshold) this.record(kind, containerId, true, uid);
      } else {
        successes = 0;
        failures++;
        this.ctx.recorder.eventWithFieldPath(pod, fieldPath, 'Warning', ev.ContainerUnhealthy, `${kind} probe failed: ${r.output}`);
        if (failures >= failureThreshold) {
          this.record(kind, containerId, false, uid);
          if (kind === 'Liveness' || kind === 'Startup') {
            this.restart.set(containerId, `Container ${container.name} failed ${kind.toLowerCase()} probe, will be restarted`);
            this.ctx.requestSync(uid);
            return;
          }
        }
      }
      schedule();
    };
    const schedule = (first = false): void => {
      if (w.stopped) return;
      const delay = first ? Math.max(0, probe.initialDelaySeconds ?? 0) * 1000 : period;
      w.timer = setTimeout(() => void tick(), delay);
      w.timer.unref();
    };
    schedule(true);
  }

  private record(kind: Kind, containerId: string, ok: boolean, uid: string): void {
    const map = kind === 'Readiness' ? this.readiness : kind === 'Startup' ? this.startup : undefined;
    if (!map) return;
    if (map.get(containerId) === ok) return;
    map.set(containerId, ok);
    this.ctx.requestSync(uid);
  }

  private stopWorker(key: string): void {
    const w = this.workers.get(key);
    if (!w) return;
    w.stopped = true;
    clearTimeout(w.timer);
    this.workers.delete(key);
  }

  forgetContainer(containerId: string): void {
    for (const key of [...this.workers.keys()]) if (key.startsWith(`${containerId}/`)) this.stopWorker(key);
    this.readiness.delete(containerId);
    this.startup.delete(containerId);
    this.restart.delete(containerId);
  }

  removePod(uid: string): void {
    for (const key of this.byPod.get(uid) ?? []) {
      this.stopWorker(key);
      const id = key.slice(0, key.indexOf('/'));
      this.readiness.delete(id);
      this.startup.delete(id);
      this.restart.delete(id);
    }
    this.byPod.delete(uid);
  }

  stop(): void {
    for (const key of [...this.workers.keys()]) this.stopWorker(key);
  }
}
