// A fixed clock and helpers for building objects at known ages.

import type { KubeObject } from '../../src/api/types.js';

export const NOW = new Date('2024-05-01T12:00:00Z');

/** RFC 3339 timestamp `ms` milliseconds before NOW. */
export function ago(ms: number): string {
  return new Date(NOW.getTime() - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const S = 1000;
export const M = 60 * S;
export const H = 60 * M;
export const D = 24 * H;

export function obj(name: string, fields: Partial<KubeObject> & Record<string, unknown> = {}, age = 3 * D): KubeObject {
  const { metadata, ...rest } = fields;
  return { metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '7', creationTimestamp: ago(age), ...metadata }, ...rest };
}
