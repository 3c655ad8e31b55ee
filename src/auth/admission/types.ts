import { StatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import type { Registry } from '../../apiserver/handlers/context.js';
import type { ResourceInfo } from '../../api/scheme/resources.js';
import type { UserInfo } from '../user.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** What an admission plugin is told about a request, as upstream's admission.Attributes. */
export interface AdmissionAttributes {
  operation: Operation;
  group: string;
  version: string;
  /** Plural resource: "pods". */
  resource: string;
  subresource?: string;
  kind: string;
  namespace?: string;
  /** The object's name (for CREATE, the name in the body). */
  name?: string;
  user: UserInfo;
  dryRun?: boolean;
}

export interface AdmissionContext {
  registry: Registry;
  /**
   * The objects of a namespace as a watch-fed cache holds them (upstream's
   * listers); without it, plugins list from storage on every request.
   */
  list?: (info: ResourceInfo, namespace: string) => Promise<KubeObject[]>;
  /** One object from such a cache (shared: read it, never change it); undefined when the cache has not seen it. */
  get?: (info: ResourceInfo, namespace: string, name: string) => Promise<KubeObject | undefined>;
}

/** One stored object, or undefined when there is none. */
export async function lookupObject(ctx: AdmissionContext, info: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
  try {
    return await ctx.registry.storeFor(info).get(namespace, name);
  } catch (err) {
    if (err instanceof StatusError && err.code === 404) return undefined;
    throw err;
  }
}

/** A namespace's objects of one resource, from the cache when there is one. */
export async function listNamespace(ctx: AdmissionContext, info: ResourceInfo, namespace: string): Promise<KubeObject[]> {
  if (ctx.list) return ctx.list(info, namespace);
  return (await ctx.registry.storeFor(info).list({ namespace })).items;
}

/** Mutating plugins change `obj` in place. */
export type MutatingPlugin = (a: AdmissionAttributes, obj: KubeObject | undefined, old: KubeObject | undefined, ctx: AdmissionContext) => Promise<void>;
/** Validating plugins throw StatusError to refuse; they may return warnings for Warning headers. */
export type ValidatingPlugin = (a: AdmissionAttributes, obj: KubeObject | undefined, old: KubeObject | undefined, ctx: AdmissionContext) => Promise<string[] | void>;

/** admission.NewForbidden: 403 over the request's group/resource and name. */
export function admissionForbidden(a: AdmissionAttributes, message: string): StatusError {
  const qualified = a.group ? `${a.resource}.${a.group}` : a.resource;
  const name = a.name ?? '';
  const text = name ? `${qualified} ${JSON.stringify(name)} is forbidden: ${message}` : `${qualified} is forbidden: ${message}`;
  return new StatusError(403, 'Forbidden', text, { name: name || undefined, group: a.group || undefined, kind: a.resource });
}

/** Go's utilerrors.NewAggregate(...).Error(): one message alone, several in brackets. */
export function aggregate(msgs: string[]): string {
  return msgs.length === 1 ? msgs[0]! : `[${msgs.join(', ')}]`;
}

export function isPod(a: AdmissionAttributes): boolean {
  return a.group === '' && a.resource === 'pods';
}
