// client-node class names → upstream definition names. A class name carries
// its version (V1, V2, V1beta1) and sometimes a group prefix where two groups
// share a kind name (CoreV1Event, EventsV1Event); the group of the rest is
// inferred from which served kinds reach it (see derive.ts).

export interface ClassName {
  /** Group from the class name's prefix, when it has one. */
  group?: string;
  version: string;
  kind: string;
}

const PREFIX_GROUPS: Record<string, string> = {
  Core: '',
  Events: 'events.k8s.io',
  Discovery: 'discovery.k8s.io',
  Rbac: 'rbac.authorization.k8s.io',
  Storage: 'storage.k8s.io',
  Authentication: 'authentication.k8s.io',
  Flowcontrol: 'flowcontrol.apiserver.k8s.io',
  Resource: 'resource.k8s.io',
  Admissionregistration: 'admissionregistration.k8s.io',
  Apiextensions: 'apiextensions.k8s.io',
  Apiregistration: 'apiregistration.k8s.io',
};

export function parseClassName(className: string): ClassName | undefined {
  const m = /^([A-Z][a-z]+)?V(\d+(?:alpha\d+|beta\d+)?)([A-Z]\w*)$/.exec(className);
  if (!m) return undefined;
  if (m[1] !== undefined && !(m[1] in PREFIX_GROUPS)) return undefined;
  return { group: m[1] === undefined ? undefined : PREFIX_GROUPS[m[1]], version: `v${m[2]}`, kind: m[3] };
}

/** The class client-node generates for a kind: prefixed when the kind name is shared. */
export function classCandidates(group: string, version: string, kind: string): string[] {
  const v = `V${version.slice(1)}`;
  const prefixed = Object.entries(PREFIX_GROUPS)
    .filter(([, g]) => g === group)
    .map(([p]) => `${p}${v}${kind}`);
  return [...prefixed, `${v}${kind}`];
}

/** Class names mentioned in a client-node type expression such as Array<V1Container>. */
export function referencedClasses(type: string): string[] {
  return type.match(/\b[A-Z][A-Za-z0-9]*V\d\w*\b|\bV\d\w*\b/g) ?? [];
}
