import { randomUUID } from 'node:crypto';
import type { Registry } from '../../src/apiserver/handlers/context.js';
import type { ResourceInfo } from '../../src/api/scheme/resources.js';
import type { KubeList, KubeObject } from '../../src/api/types.js';
import { alreadyExists, conflict, notFound } from '../../src/api/errors.js';
import { apiVersionOf, nowTimestamp } from '../../src/api/types.js';

// An in-memory stand-in for the API server's registry with the ResourceStore
// semantics the auth code relies on (uids, resourceVersions, 404/409, watch
// with an initial list), so these unit tests need no storage backend.

type Emit = (type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK', obj: KubeObject) => void;

let revision = 0;

class FakeStore {
  readonly objects = new Map<string, KubeObject>();
  private readonly watchers = new Set<{ ns?: string; emit: Emit }>();
  constructor(readonly info: ResourceInfo) {}

  private key(ns: string | undefined, name: string): string {
    return this.info.namespaced ? `${ns}/${name}` : name;
  }

  private notify(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void {
    for (const w of this.watchers) if (!w.ns || w.ns === obj.metadata.namespace) w.emit(type, structuredClone(obj));
  }

  async get(ns: string | undefined, name: string): Promise<KubeObject> {
    const o = this.objects.get(this.key(ns, name));
    if (!o) throw notFound({ group: this.info.group, resource: this.info.resource }, name);
    return structuredClone(o);
  }

  async list(p: { namespace?: string }): Promise<KubeList> {
    const items = [...this.objects.values()].filter((o) => !p.namespace || o.metadata.namespace === p.namespace).map((o) => structuredClone(o));
    return { apiVersion: apiVersionOf(this.info.group, this.info.version), kind: this.info.listKind, metadata: { resourceVersion: String(revision) }, items };
  }

  async create(ns: string | undefined, obj: KubeObject): Promise<KubeObject> {
    const o = structuredClone(obj);
    if (!o.metadata.name && o.metadata.generateName) o.metadata.name = o.metadata.generateName + Math.random().toString(36).slice(2, 7);
    const k = this.key(ns, o.metadata.name!);
    if (this.objects.has(k)) throw alreadyExists({ group: this.info.group, resource: this.info.resource }, o.metadata.name!);
    if (this.info.namespaced) o.metadata.namespace = ns;
    o.metadata.uid = randomUUID();
    o.metadata.creationTimestamp = nowTimestamp();
    o.metadata.resourceVersion = String(++revision);
    o.apiVersion = apiVersionOf(this.info.group, this.info.version);
    o.kind = this.info.kind;
    this.objects.set(k, o);
    this.notify('ADDED', o);
    return structuredClone(o);
  }

  async update(ns: string | undefined, name: string, mutate: (cur: KubeObject) => KubeObject | Promise<KubeObject>): Promise<{ object: KubeObject; created: boolean }> {
    const k = this.key(ns, name);
    let cur: KubeObject | undefined;
    let next: KubeObject;
    // As ResourceStore's guaranteed update: an unconditional write that lost a race re-runs on the fresh object.
    for (;;) {
      cur = this.objects.get(k);
      if (!cur) throw notFound({ group: this.info.group, resource: this.info.resource }, name);
      next = await mutate(structuredClone(cur));
      if (next.metadata.resourceVersion && next.metadata.resourceVersion !== cur.metadata.resourceVersion) {
        throw conflict({ group: this.info.group, resource: this.info.resource }, name, 'the object has been modified');
      }
      if (this.objects.get(k) === cur) break;
    }
    next.metadata.uid = cur.metadata.uid;
    next.metadata.resourceVersion = String(++revision);
    this.objects.set(k, next);
    this.notify('MODIFIED', next);
    return { object: structuredClone(next), created: false };
  }

  async delete(ns: string | undefined, name: string): Promise<{ object: KubeObject; deleted: boolean }> {
    const k = this.key(ns, name);
    const cur = this.objects.get(k);
    if (!cur) throw notFound({ group: this.info.group, resource: this.info.resource }, name);
    this.objects.delete(k);
    this.notify('DELETED', cur);
    return { object: cur, deleted: true };
  }

  async watch(p: { namespace?: string }, emit: Emit): Promise<{ stop(): void }> {
    for (const o of (await this.list(p)).items) emit('ADDED', o);
    const w = { ns: p.namespace, emit };
    this.watchers.add(w);
    return { stop: () => void this.watchers.delete(w) };
  }
}

export function fakeRegistry(): Registry & { fake(info: ResourceInfo): FakeStore } {
  const stores = new Map<string, FakeStore>();
  const fake = (info: ResourceInfo) => {
    const k = `${info.group}/${info.resource}`;
    let s = stores.get(k);
    if (!s) stores.set(k, (s = new FakeStore(info)));
    return s;
  };
  return {
    fake,
    storeFor: (info: ResourceInfo) => fake(info) as unknown as ReturnType<Registry['storeFor']>,
    schemas: () => {
      throw new Error('not needed by the auth tests');
    },
  };
}
