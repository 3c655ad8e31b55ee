// @peculiar/x509 resolves its providers through tsyringe, which refuses to
// load without the Reflect metadata API; the full reflect-metadata package is
// not a dependency, and these four calls are all tsyringe makes.

type MetaMap = Map<unknown, unknown>;
const store = new WeakMap<object, Map<string | symbol | undefined, MetaMap>>();

function metaFor(target: object, property: string | symbol | undefined, create: boolean): MetaMap | undefined {
  let byProp = store.get(target);
  if (!byProp) {
    if (!create) return undefined;
    byProp = new Map();
    store.set(target, byProp);
  }
  let m = byProp.get(property);
  if (!m && create) {
    m = new Map();
    byProp.set(property, m);
  }
  return m;
}

const R = Reflect as unknown as Record<string, unknown>;
if (typeof R.getMetadata !== 'function') {
  const getOwn = (key: unknown, target: object, property?: string | symbol) => metaFor(target, property, false)?.get(key);
  R.getOwnMetadata = getOwn;
  R.getMetadata = (key: unknown, target: object, property?: string | symbol) => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      const m = metaFor(t, property, false);
      if (m?.has(key)) return m.get(key);
    }
    return undefined;
  };
  R.defineMetadata = (key: unknown, value: unknown, target: object, property?: string | symbol) => {
    metaFor(target, property, true)!.set(key, value);
  };
  R.hasMetadata = (key: unknown, target: object, property?: string | symbol) => R.getMetadata !== undefined && (R.getMetadata as (k: unknown, t: object, p?: string | symbol) => unknown)(key, target, property) !== undefined;
  R.metadata = (key: unknown, value: unknown) => (target: object, property?: string | symbol) => {
    metaFor(target, property, true)!.set(key, value);
  };
}

export {};
