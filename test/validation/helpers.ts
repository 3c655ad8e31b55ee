// Builders for validation tests: valid fixtures, defaulted as the server would.

import { applyDefaults } from '../../src/api/defaults/index.js';
import { validateObject } from '../../src/api/validation/index.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import type { ResourceInfo } from '../../src/api/scheme/resources.js';
import type { KubeObject } from '../../src/api/types.js';

export function info(group: string, resource: string): ResourceInfo {
  const r = resourceFor(group, 'v1', resource);
  if (!r) throw new Error(`no resource ${group}/${resource}`);
  return r;
}

/** Default then validate; returns "field: detail" lines. */
export function check(group: string, resource: string, obj: KubeObject, old?: KubeObject): string[] {
  const i = info(group, resource);
  applyDefaults(i, obj);
  return validateObject(i, obj, old).map((e) => `${e.field}: ${e.detail}`);
}

export function pod(mut?: (p: any) => void): KubeObject {
  const p: any = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
  };
  mut?.(p);
  return p;
}

export function template(labels: Record<string, string> = { app: 'web' }): any {
  return { metadata: { labels }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } };
}

export const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
export const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
