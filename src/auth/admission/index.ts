import type { KubeObject } from '../../api/types.js';
import type { Registry } from '../../apiserver/handlers/context.js';
import type { AdmissionAttributes, AdmissionContext, MutatingPlugin, ValidatingPlugin } from './types.js';
import { admitServiceAccount } from './serviceaccount.js';
import { admitDefaultTolerationSeconds } from './default-toleration-seconds.js';
import { admitNodeRestriction } from './noderestriction.js';
import { mutateLimitRanger, validateLimitRanger } from './limitranger.js';
import { validateResourceQuota } from './resourcequota.js';
import { podSecurity, type PodSecurityDefaults } from './podsecurity/index.js';

export type { AdmissionAttributes, Operation } from './types.js';
export { admissionForbidden } from './types.js';
export { computeUsage, usageOf } from './resourcequota.js';
export { podSecurityAuditViolations } from './podsecurity/index.js';

/** Upstream's plugin names, in the order kube-apiserver runs them (NamespaceLifecycle is the lead's). */
export const ADMISSION_PLUGINS = ['NamespaceLifecycle', 'LimitRanger', 'ServiceAccount', 'NodeRestriction', 'PodSecurity', 'DefaultTolerationSeconds', 'ResourceQuota'] as const;
export type AdmissionPluginName = (typeof ADMISSION_PLUGINS)[number];

export interface AdmissionOptions {
  /** --disable-admission-plugins */
  disabled?: AdmissionPluginName[];
  podSecurity?: PodSecurityDefaults;
}

export interface AdmissionChain {
  /** Mutating phase, before defaulting and validation of the object. */
  mutate(a: AdmissionAttributes, obj: KubeObject | undefined, old: KubeObject | undefined): Promise<void>;
  /** Validating phase, after the object's own validation, just before it is stored; returns Warning texts. */
  validate(a: AdmissionAttributes, obj: KubeObject | undefined, old: KubeObject | undefined): Promise<string[]>;
}

export function admissionChain(registry: Registry, opts: AdmissionOptions = {}): AdmissionChain {
  const off = new Set(opts.disabled ?? []);
  const ctx: AdmissionContext = { registry };
  const mutating: [AdmissionPluginName, MutatingPlugin][] = [
    ['LimitRanger', mutateLimitRanger],
    ['ServiceAccount', admitServiceAccount],
    ['DefaultTolerationSeconds', admitDefaultTolerationSeconds],
  ];
  // ResourceQuota last: it charges usage, so nothing after it may refuse.
  const validating: [AdmissionPluginName, ValidatingPlugin][] = [
    ['LimitRanger', validateLimitRanger],
    ['NodeRestriction', admitNodeRestriction],
    ['PodSecurity', podSecurity(opts.podSecurity)],
    ['ResourceQuota', validateResourceQuota],
  ];
  const m = mutating.filter(([n]) => !off.has(n)).map(([, f]) => f);
  const v = validating.filter(([n]) => !off.has(n)).map(([, f]) => f);
  return {
    async mutate(a, obj, old) {
      for (const f of m) await f(a, obj, old, ctx);
    },
    async validate(a, obj, old) {
      const warnings: string[] = [];
      for (const f of v) {
        const w = await f(a, obj, old, ctx);
        if (w) warnings.push(...w);
      }
      return warnings;
    },
  };
}
