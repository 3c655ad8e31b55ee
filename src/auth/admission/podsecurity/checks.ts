// The Pod Security Standards checks (baseline and restricted) with the
// reasons and details upstream's pod-security-admission prints, e.g.
// `privileged (container "c" must not set securityContext.privileged=true)`.

type Obj = Record<string, any>;

export interface CheckResult {
  reason: string;
  detail: string;
}

export interface PodView {
  meta: Obj;
  spec: Obj;
}

export type Level = 'privileged' | 'baseline' | 'restricted';

interface Check {
  id: string;
  level: 'baseline' | 'restricted';
  /** Restricted checks that supersede a baseline one (capabilities, seccomp, volumes). */
  overrides?: string;
  run(pod: PodView): CheckResult | undefined;
}

const plural = (one: string, many: string, n: number) => (n === 1 ? one : many);
const quoteAll = (xs: string[]) => xs.map((x) => JSON.stringify(x)).join(', ');

function containers(spec: Obj): Obj[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])].filter(Boolean);
}

function who(names: string[]): string {
  return `${plural('container', 'containers', names.length)} ${quoteAll(names)}`;
}

const BASELINE_CAPS = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const RESTRICTED_VOLUME_OK = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

function badCaps(allowed: (c: string) => boolean, spec: Obj): CheckResult | undefined {
  const names: string[] = [];
  const caps = new Set<string>();
  for (const c of containers(spec)) {
    const bad = ((c.securityContext?.capabilities?.add ?? []) as string[]).filter((x) => !allowed(x));
    if (bad.length) {
      names.push(c.name);
      for (const b of bad) caps.add(b);
    }
  }
  if (!names.length) return undefined;
  return { reason: '', detail: `${who(names)} must not include ${quoteAll([...caps].sort())} in securityContext.capabilities.add` };
}

export const CHECKS: Check[] = [
  // baseline, in upstream's order (by check ID)
  {
    id: 'capabilities_baseline',
    level: 'baseline',
    run: (p) => {
      const r = badCaps((c) => BASELINE_CAPS.has(c), p.spec);
      return r && { reason: 'non-default capabilities', detail: r.detail };
    },
  },
  {
    id: 'hostNamespaces',
    level: 'baseline',
    run: ({ spec }) => {
      const set = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((k) => spec[k] === true).map((k) => `${k}=true`);
      return set.length ? { reason: 'host namespaces', detail: set.join(', ') } : undefined;
    },
  },
  {
    id: 'hostPathVolumes',
    level: 'baseline',
    run: ({ spec }) => {
      const vols = ((spec.volumes ?? []) as Obj[]).filter((v) => v?.hostPath).map((v) => v.name as string);
      return vols.length ? { reason: 'hostPath volumes', detail: `${plural('volume', 'volumes', vols.length)} ${quoteAll(vols)}` } : undefined;
    },
  },
  {
    id: 'hostPorts',
    level: 'baseline',
    run: ({ spec }) => {
      const names: string[] = [];
      const ports: number[] = [];
      for (const c of containers(spec)) {
        const hp = ((c.ports ?? []) as Obj[]).map((x) => x?.hostPort).filter((x): x is number => typeof x === 'number' && x !== 0);
        if (hp.length) {
          names.push(c.name);
          for (const x of hp) if (!ports.includes(x)) ports.push(x);
        }
      }
      if (!names.length) return undefined;
      return { reason: 'hostPort', detail: `${who(names)} ${plural('uses', 'use', names.length)} ${plural('hostPort', 'hostPorts', ports.length)} ${ports.join(', ')}` };
    },
  },
  {
    id: 'privileged',
    level: 'baseline',
    run: ({ spec }) => {
      const names = containers(spec).filter((c) => c.securityContext?.privileged === true).map((c) => c.name as string);
      return names.length ? { reason: 'privileged', detail: `${who(names)} must not set securityContext.privileged=true` } : undefined;
    },
  },
  {
    id: 'procMount',
    level: 'baseline',
    run: ({ spec }) => {
      const bad = containers(spec).filter((c) => c.securityContext?.procMount && c.securityContext.procMount !== 'Default');
      if (!bad.length) return undefined;
      const kinds = [...new Set(bad.map((c) => c.securityContext.procMount as string))];
      return { reason: 'procMount', detail: `${who(bad.map((c) => c.name))} must not set securityContext.procMount to ${quoteAll(kinds)}` };
    },
  },
  {
    id: 'seccompProfile_baseline',
    level: 'baseline',
    run: ({ spec }) => {
      const setters: string[] = [];
      if (spec.securityContext?.seccompProfile?.type === 'Unconfined') setters.push('pod');
      const names = containers(spec).filter((c) => c.securityContext?.seccompProfile?.type === 'Unconfined').map((c) => c.name as string);
      if (names.length) setters.push(who(names));
      return setters.length ? { reason: 'seccompProfile', detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to "Unconfined"` } : undefined;
    },
  },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    run: ({ spec }) => {
      const bad = (o: Obj | undefined) => !!o && (!SELINUX_TYPES.has(o.type ?? '') || !!o.user || !!o.role);
      const setters: string[] = [];
      if (bad(spec.securityContext?.seLinuxOptions)) setters.push('pod');
      const names = containers(spec).filter((c) => bad(c.securityContext?.seLinuxOptions)).map((c) => c.name as string);
      if (names.length) setters.push(who(names));
      return setters.length ? { reason: 'seLinuxOptions', detail: `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions` } : undefined;
    },
  },
  {
    id: 'sysctls',
    level: 'baseline',
    run: ({ spec }) => {
      const bad = ((spec.securityContext?.sysctls ?? []) as Obj[]).map((s) => s?.name as string).filter((n) => n && !SAFE_SYSCTLS.has(n));
      return bad.length ? { reason: 'forbidden sysctls', detail: bad.join(', ') } : undefined;
    },
  },
  {
    id: 'windowsHostProcess',
    level: 'baseline',
    run: ({ spec }) => {
      const setters: string[] = [];
      if (spec.securityContext?.windowsOptions?.hostProcess === true) setters.push('pod');
      const names = containers(spec).filter((c) => c.securityContext?.windowsOptions?.hostProcess === true).map((c) => c.name as string);
      if (names.length) setters.push(who(names));
      return setters.length ? { reason: 'hostProcess', detail: `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true` } : undefined;
    },
  },
  // restricted
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    run: ({ spec }) => {
      const names = containers(spec).filter((c) => c.securityContext?.allowPrivilegeEscalation !== false).map((c) => c.name as string);
      return names.length ? { reason: 'allowPrivilegeEscalation != false', detail: `${who(names)} must set securityContext.allowPrivilegeEscalation=false` } : undefined;
    },
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    overrides: 'capabilities_baseline',
    run: ({ spec }) => {
      const details: string[] = [];
      const noDrop = containers(spec).filter((c) => !((c.securityContext?.capabilities?.drop ?? []) as string[]).includes('ALL')).map((c) => c.name as string);
      if (noDrop.length) details.push(`${who(noDrop)} must set securityContext.capabilities.drop=["ALL"]`);
      const add = badCaps((c) => c === 'NET_BIND_SERVICE', spec);
      if (add) details.push(add.detail);
      return details.length ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : undefined;
    },
  },
  {
    id: 'restrictedVolumes',
    level: 'restricted',
    overrides: 'hostPathVolumes',
    run: ({ spec }) => {
      const names: string[] = [];
      const types: string[] = [];
      for (const v of (spec.volumes ?? []) as Obj[]) {
        if (!v) continue;
        const t = Object.keys(v).find((k) => k !== 'name' && !RESTRICTED_VOLUME_OK.has(k));
        if (t) {
          names.push(v.name);
          if (!types.includes(t)) types.push(t);
        }
      }
      if (!names.length) return undefined;
      return {
        reason: 'restricted volume types',
        detail: `${plural('volume', 'volumes', names.length)} ${quoteAll(names)} ${plural('uses', 'use', names.length)} ${plural('restricted volume type', 'restricted volume types', types.length)} ${quoteAll(types)}`,
      };
    },
  },
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    run: ({ spec }) => {
      const podNonRoot = spec.securityContext?.runAsNonRoot;
      const podUser = spec.securityContext?.runAsUser;
      const badSetters: string[] = [];
      if (podNonRoot === false) badSetters.push('pod');
      const explicit: string[] = [];
      const implicit: string[] = [];
      for (const c of containers(spec)) {
        const nonRoot = c.securityContext?.runAsNonRoot;
        const user = c.securityContext?.runAsUser ?? podUser;
        if (nonRoot === false) explicit.push(c.name);
        else if (nonRoot !== true && podNonRoot !== true && !(typeof user === 'number' && user > 0)) implicit.push(c.name);
      }
      if (explicit.length) badSetters.push(who(explicit));
      if (badSetters.length) return { reason: 'runAsNonRoot != true', detail: `${badSetters.join(' and ')} must not set securityContext.runAsNonRoot=false` };
      if (implicit.length) return { reason: 'runAsNonRoot != true', detail: `pod or ${who(implicit)} must set securityContext.runAsNonRoot=true` };
      return undefined;
    },
  },
  {
    id: 'runAsUser',
    level: 'restricted',
    run: ({ spec }) => {
      const setters: string[] = [];
      if (spec.securityContext?.runAsUser === 0) setters.push('pod');
      const names = containers(spec).filter((c) => c.securityContext?.runAsUser === 0).map((c) => c.name as string);
      if (names.length) setters.push(who(names));
      return setters.length ? { reason: 'runAsUser=0', detail: `${setters.join(' and ')} must not set runAsUser=0` } : undefined;
    },
  },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    overrides: 'seccompProfile_baseline',
    run: ({ spec }) => {
      const ok = (t: unknown) => t === 'RuntimeDefault' || t === 'Localhost';
      const podType = spec.securityContext?.seccompProfile?.type;
      const badSetters: string[] = [];
      if (podType !== undefined && !ok(podType)) badSetters.push('pod');
      const explicit: string[] = [];
      const implicit: string[] = [];
      for (const c of containers(spec)) {
        const t = c.securityContext?.seccompProfile?.type;
        if (t !== undefined && !ok(t)) explicit.push(c.name);
        else if (t === undefined && podType === undefined) implicit.push(c.name);
      }
      if (explicit.length) badSetters.push(who(explicit));
      if (badSetters.length) {
        const types = [...new Set([podType, ...containers(spec).map((c) => c.securityContext?.seccompProfile?.type)].filter((t) => t !== undefined && !ok(t)))] as string[];
        return { reason: 'seccompProfile', detail: `${badSetters.join(' and ')} must not set securityContext.seccompProfile.type to ${quoteAll(types)}` };
      }
      if (implicit.length) return { reason: 'seccompProfile', detail: `pod or ${who(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"` };
      return undefined;
    },
  },
];

/** Runs every check of `level` (baseline for baseline, both for restricted); returns upstream's "reason (detail)" strings. */
export function evaluate(level: Level, pod: PodView): string[] {
  if (level === 'privileged') return [];
  const active = CHECKS.filter((c) => c.level === 'baseline' || level === 'restricted');
  const overridden = new Set(level === 'restricted' ? active.map((c) => c.overrides).filter(Boolean) : []);
  const out: string[] = [];
  for (const c of active) {
    if (overridden.has(c.id)) continue;
    const r = c.run(pod);
    if (r) out.push(r.detail ? `${r.reason} (${r.detail})` : r.reason);
  }
  return out;
}
