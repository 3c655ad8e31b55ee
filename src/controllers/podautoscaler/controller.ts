import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import { isNotFound } from '../../client/status.js';
import { splitMetaNamespaceKey } from '../../client/store.js';
import { resourceFor, resourceForKind } from '../../api/scheme/resources.js';
import { matchesLabels, parseLabelSelector, type LabelSelector } from '../../api/selectors/labels.js';
import { Quantity, tryParseQuantity } from '../../api/quantity.js';
import { nowTimestamp, type KubeObject } from '../../api/types.js';
import { scaleDownRules, scaleUpRules } from '../../api/defaults/autoscaling.js';
import { PODS } from '../shared/resources.js';
import { KeyWorker, keyOf } from '../shared/worker.js';
import { workersFor } from '../shared/options.js';
import { DEFAULT_EXTRA, extraDurationMs, extraNumber } from '../options.js';
import type { Pod } from '../shared/types.js';
import { setCondition, type HpaCondition } from './conditions.js';
import { getResourceMetric } from './metrics-client.js';
import { Normalizer, type Behavior } from './normalize.js';
import { CalculationError, rawResourceReplicas, resourceReplicas, type CalculatorOptions } from './replica-calculator.js';

// The horizontal pod autoscaler (upstream's "horizontalpodautoscaling"
// controller): every sync period each HPA reads its target's scale
// subresource, computes a replica count per metric from metrics.k8s.io
// (Resource and ContainerResource metrics; Pods/Object/External need custom
// metrics APIs k8ts does not serve and are reported as such), takes the
// largest, stabilizes and rate-limits it, writes the scale and reports
// status, conditions and events with upstream's reasons.

const HPAS = resourceFor('autoscaling', 'v2', 'horizontalpodautoscalers')!;

interface Hpa extends KubeObject {
  spec: {
    scaleTargetRef: { apiVersion?: string; kind: string; name: string };
    minReplicas?: number;
    maxReplicas: number;
    metrics?: any[];
    behavior?: Behavior;
  };
  status?: {
    observedGeneration?: number;
    lastScaleTime?: string;
    currentReplicas?: number;
    desiredReplicas?: number;
    currentMetrics?: any[];
    conditions?: HpaCondition[];
  };
}

interface Scale {
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
  metadata: Record<string, unknown>;
  [k: string]: unknown;
}

interface MetricResult {
  replicas: number;
  name: string;
  status: Record<string, unknown>;
}

class MetricError extends Error {
  constructor(
    message: string,
    readonly reason: string,
    readonly conditionMessage: string,
  ) {
    super(message);
  }
}

/** The --horizontal-pod-autoscaler-* flags and their upstream defaults. */
export const DEFAULT_HPA_EXTRA: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(DEFAULT_EXTRA).filter(([k]) => k.startsWith('horizontal-pod-autoscaler-')));

const milli = (n: number): string => new Quantity(BigInt(Math.round(n)), -3).toString();

export class HorizontalController {
  private readonly client: RestClient;
  private readonly recorder: EventRecorder;
  private readonly worker: KeyWorker;
  readonly hpaInformer: Informer<Hpa>;
  readonly podInformer: Informer<Pod>;
  private readonly syncPeriodMs: number;
  private readonly calc: CalculatorOptions;
  readonly normalizer: Normalizer;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.recorder = ctx.recorder('horizontal-pod-autoscaler');
    const o = ctx.options;
    this.syncPeriodMs = extraDurationMs(o, 'horizontal-pod-autoscaler-sync-period');
    this.calc = {
      tolerance: extraNumber(o, 'horizontal-pod-autoscaler-tolerance'),
      cpuInitializationPeriodMs: extraDurationMs(o, 'horizontal-pod-autoscaler-cpu-initialization-period'),
      initialReadinessDelayMs: extraDurationMs(o, 'horizontal-pod-autoscaler-initial-readiness-delay'),
    };
    this.normalizer = new Normalizer(extraDurationMs(o, 'horizontal-pod-autoscaler-downscale-stabilization'));
    this.hpaInformer = ctx.informers.informerFor<Hpa>(HPAS);
    this.podInformer = ctx.informers.informerFor<Pod>(PODS);
    this.worker = new KeyWorker({ name: 'horizontal-pod-autoscaler', workers: workersFor(ctx, ['horizontal-pod-autoscaler'], 5), sync: (k) => this.sync(k) });
  }

  start(): void {
    this.hpaInformer.addEventHandler({
      onAdd: (h) => this.worker.add(keyOf(h)),
      onUpdate: (o, h) => {
        // Our own status writes do not call for another look; spec changes do.
        if (o.metadata.generation !== h.metadata.generation) this.worker.add(keyOf(h));
      },
      onDelete: (h) => this.normalizer.forget(keyOf(h)),
    });
    this.worker.run([this.hpaInformer, this.podInformer]);
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  private async sync(key: string): Promise<void> {
    const { namespace: ns, name } = splitMetaNamespaceKey(key);
    const cached = this.hpaInformer.store.getByName(ns, name);
    if (!cached) {
      this.normalizer.forget(key);
      return;
    }
    try {
      await this.reconcile(key, structuredClone(cached));
    } finally {
      // Every HPA is looked at once per sync period, whatever happened.
      if (this.hpaInformer.store.getByName(ns, name)) this.worker.addAfter(key, this.syncPeriodMs);
    }
  }

  private async reconcile(key: string, hpa: Hpa): Promise<void> {
    const original = JSON.stringify(hpa.status ?? {});
    const status = (hpa.status ??= {});
    const conditions = (status.conditions ??= []);
    const ns = hpa.metadata.namespace!;
    const ref = hpa.spec.scaleTargetRef;
    const reference = `${ref.kind}/${ref.name}`;
    const [group, version] = (ref.apiVersion ?? '').includes('/') ? ref.apiVersion!.split('/') : ['', ref.apiVersion || 'v1'];
    const target = resourceForKind(group!, version!, ref.kind);
    let scale: Scale;
    try {
      if (!target || !target.subresources.includes('scale')) throw new Error(`no matches for kind "${ref.kind}" in group "${group}"`);
      scale = await this.client.getSubresource<Scale>(target, ns, ref.name, 'scale');
    } catch (err) {
      const msg = (err as Error).message;
      setCondition(conditions, 'AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${msg}`);
      this.recorder.event(hpa, 'Warning', 'FailedGetScale', msg);
      await this.writeStatus(hpa, original);
      throw new Error(`failed to query scale subresource for ${reference}: ${msg}`);
    }
    setCondition(conditions, 'AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
    const currentReplicas = scale.spec?.replicas ?? 0;
    this.normalizer.recordInitial(key, currentReplicas);
    const minReplicas = hpa.spec.minReplicas ?? 1;
    let desired = 0;
    let rescale = true;
    let reason = '';
    let metricStatuses: Record<string, unknown>[] = status.currentMetrics ?? [];
    if (currentReplicas === 0 && minReplicas !== 0) {
      desired = 0;
      rescale = false;
      setCondition(conditions, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (currentReplicas > hpa.spec.maxReplicas) {
      reason = 'Current number of replicas above Spec.MaxReplicas';
      desired = hpa.spec.maxReplicas;
    } else if (currentReplicas < minReplicas) {
      reason = 'Current number of replicas below Spec.MinReplicas';
      desired = minReplicas;
    } else {
      let proposal: { replicas: number; name: string; statuses: Record<string, unknown>[] };
      try {
        proposal = await this.computeReplicasForMetrics(hpa, scale, currentReplicas, conditions);
      } catch (err) {
        if (err instanceof ComputeError) {
          status.currentReplicas = currentReplicas;
          status.currentMetrics = err.statuses.length ? err.statuses : undefined;
          if (!status.currentMetrics) delete status.currentMetrics;
          this.recorder.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', err.message);
          await this.writeStatus(hpa, original);
          throw new Error(`failed to compute desired number of replicas based on listed metrics for ${reference}: ${err.message}`);
        }
        throw err;
      }
      metricStatuses = proposal.statuses;
      let metricName = '';
      if (proposal.replicas > desired) {
        desired = proposal.replicas;
        metricName = proposal.name;
      }
      if (desired > currentReplicas) reason = `${metricName} above target`;
      if (desired < currentReplicas) reason = 'All metrics below target';
      const behavior = hpa.spec.behavior ? { scaleUp: scaleUpRules(hpa.spec.behavior.scaleUp as any), scaleDown: hpa.spec.behavior.scaleDown ? scaleDownRules(hpa.spec.behavior.scaleDown as any) : undefined } : undefined;
      const n = behavior
        ? this.normalizer.normalizeWithBehavior(key, behavior as Behavior, currentReplicas, desired, minReplicas, hpa.spec.maxReplicas)
        : this.normalizer.normalize(key, currentReplicas, desired, minReplicas, hpa.spec.maxReplicas);
      for (const c of n.conditions) setCondition(conditions, c.type, c.status, c.reason, c.message);
      desired = n.replicas;
      rescale = desired !== currentReplicas;
    }
    if (rescale) {
      try {
        await this.client.updateSubresource(target, ns, ref.name, 'scale', { ...scale, spec: { ...scale.spec, replicas: desired } });
      } catch (err) {
        const msg = (err as Error).message;
        this.recorder.event(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${reason}; error: ${msg}`);
        setCondition(conditions, 'AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${msg}`);
        status.currentReplicas = currentReplicas;
        status.currentMetrics = metricStatuses;
        await this.writeStatus(hpa, original);
        throw new Error(`failed to rescale ${reference}: ${msg}`);
      }
      setCondition(conditions, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`);
      this.recorder.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
      this.normalizer.storeScaleEvent(key, hpa.spec.behavior ? { scaleUp: scaleUpRules(hpa.spec.behavior.scaleUp as any) as any, scaleDown: scaleDownRules(hpa.spec.behavior.scaleDown as any) as any } : undefined, currentReplicas, desired);
    } else {
      desired = currentReplicas;
    }
    status.currentReplicas = currentReplicas;
    status.desiredReplicas = desired;
    status.currentMetrics = metricStatuses;
    if (!metricStatuses.length) delete status.currentMetrics;
    if (rescale) status.lastScaleTime = nowTimestamp();
    await this.writeStatus(hpa, original);
  }

  private async writeStatus(hpa: Hpa, original: string): Promise<void> {
    if (JSON.stringify(hpa.status) === original) return;
    try {
      await this.client.updateStatus(HPAS, hpa.metadata.namespace, hpa);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  private podsFor(ns: string, sel: LabelSelector): Pod[] {
    return this.podInformer.store.byNamespace(ns).filter((p) => matchesLabels(sel, p.metadata.labels));
  }

  private async computeReplicasForMetrics(hpa: Hpa, scale: Scale, specReplicas: number, conditions: HpaCondition[]): Promise<{ replicas: number; name: string; statuses: Record<string, unknown>[] }> {
    const selectorText = scale.status?.selector ?? '';
    if (!selectorText) {
      const msg = 'selector is required';
      this.recorder.event(hpa, 'Warning', 'SelectorRequired', msg);
      setCondition(conditions, 'ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector");
      throw new ComputeError(msg, []);
    }
    let selector: LabelSelector;
    try {
      selector = parseLabelSelector(selectorText);
    } catch (err) {
      const msg = `couldn't convert selector into a corresponding internal selector object: ${(err as Error).message}`;
      this.recorder.event(hpa, 'Warning', 'InvalidSelector', msg);
      setCondition(conditions, 'ScalingActive', 'False', 'InvalidSelector', msg);
      throw new ComputeError(msg, []);
    }
    const specs = hpa.spec.metrics ?? [];
    const statuses: Record<string, unknown>[] = specs.map(() => ({}));
    let replicas = 0;
    let name = '';
    let invalid = 0;
    let firstErr: MetricError | undefined;
    for (let i = 0; i < specs.length; i++) {
      try {
        const r = await this.computeReplicasForMetric(hpa, specs[i], specReplicas, selectorText, selector);
        statuses[i] = r.status;
        if (replicas === 0 || r.replicas > replicas) {
          replicas = r.replicas;
          name = r.name;
        }
      } catch (err) {
        const e = err instanceof MetricError ? err : new MetricError((err as Error).message, 'FailedGetResourceMetric', `the HPA was unable to compute the replica count: ${(err as Error).message}`);
        this.recorder.event(hpa, 'Warning', e.reason, e.message);
        if (!firstErr) firstErr = e;
        invalid++;
      }
    }
    const clean = statuses.filter((s) => Object.keys(s).length);
    if (firstErr && (invalid >= specs.length || replicas < specReplicas)) {
      setCondition(conditions, 'ScalingActive', 'False', firstErr.reason, firstErr.conditionMessage);
      throw new ComputeError(firstErr.message, clean);
    }
    setCondition(conditions, 'ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${name}`);
    return { replicas, name, statuses: clean };
  }

  private async computeReplicasForMetric(hpa: Hpa, spec: any, specReplicas: number, selectorText: string, selector: LabelSelector): Promise<MetricResult> {
    const ns = hpa.metadata.namespace!;
    const type = spec?.type;
    if (type !== 'Resource' && type !== 'ContainerResource') {
      const msg = `unable to get metric ${type}: the ${type === 'External' ? 'external' : 'custom'} metrics API (${type === 'External' ? 'external' : 'custom'}.metrics.k8s.io) is not served`;
      throw new MetricError(msg, type === 'Pods' ? 'FailedGetPodsMetric' : type === 'Object' ? 'FailedGetObjectMetric' : 'FailedGetExternalMetric', `the HPA was unable to compute the replica count: ${msg}`);
    }
    const src = type === 'Resource' ? spec.resource : spec.containerResource;
    const resource: string = src.name;
    const container: string | undefined = type === 'ContainerResource' ? src.container : undefined;
    const reasonPrefix = type === 'Resource' ? 'FailedGetResourceMetric' : 'FailedGetContainerResourceMetric';
    const fail = (m: string): never => {
      throw new MetricError(m, reasonPrefix, `the HPA was unable to compute the replica count: ${m}`);
    };
    let metrics;
    try {
      metrics = await getResourceMetric(this.client, resource, ns, selectorText, container);
    } catch (err) {
      return fail(`failed to get ${resource} utilization: unable to get metrics for resource ${resource}: ${(err as Error).message}`);
    }
    const pods = this.podsFor(ns, selector);
    const statusKey = type === 'Resource' ? 'resource' : 'containerResource';
    const ident = type === 'Resource' ? { name: resource } : { name: resource, container };
    try {
      if (src.target?.averageValue !== undefined) {
        const q = tryParseQuantity(src.target.averageValue);
        const target = typeof q === 'string' ? 0 : q.milliValue();
        const r = rawResourceReplicas(specReplicas, target, resource, pods, metrics, this.calc);
        return { replicas: r.replicas, name: `${resource} resource`, status: { type, [statusKey]: { ...ident, current: { averageValue: milli(r.usage) } } } };
      }
      const r = resourceReplicas(specReplicas, Number(src.target?.averageUtilization ?? 0), resource, pods, metrics, this.calc, container);
      const name = type === 'Resource' ? `${resource} resource utilization (percentage of request)` : `${resource} container resource utilization (percentage of request)`;
      return { replicas: r.replicas, name, status: { type, [statusKey]: { ...ident, current: { averageValue: milli(r.rawAverage), averageUtilization: r.utilization } } } };
    } catch (err) {
      if (err instanceof CalculationError) return fail(`failed to get ${resource} utilization: ${err.message}`);
      throw err;
    }
  }
}

class ComputeError extends Error {
  constructor(
    message: string,
    readonly statuses: Record<string, unknown>[],
  ) {
    super(message);
  }
}

export const horizontalPodAutoscalerController: ControllerDescriptor = {
  name: 'horizontalpodautoscaling',
  async start(ctx: ControllerContext): Promise<RunningController> {
    const c = new HorizontalController(ctx);
    c.start();
    return { stop: () => c.stop() };
  },
};
