// A navigable view of the OpenAPI schema of every served kind. The OpenAPI
// documents, strict field validation, strategic merge patch and server-side
// apply all read the same nodes, so a list's merge key is defined once.

export interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  /** Name of the definition this node stands for (e.g. io.k8s.api.core.v1.Container), when it is one. */
  ref?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  /** Map values (labels: string; resources: Quantity). */
  additionalProperties?: SchemaNode;
  /** Declared GVKs for top-level kinds. */
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
  'x-kubernetes-patch-merge-key'?: string;
  /** 'merge', 'retainKeys', or 'merge,retainKeys'. Absent on a list means atomic replace for SMP. */
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  /** IntOrString fields accept either JSON type. */
  'x-kubernetes-int-or-string'?: boolean;
  /** RawExtension and free-form objects: anything goes below. */
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

export interface SchemaRegistry {
  /** The schema of a top-level kind, or undefined for kinds without one. */
  forKind(group: string, version: string, kind: string): SchemaNode | undefined;
  /** A definition by its full name. */
  definition(name: string): SchemaNode | undefined;
  /** Every definition, by full name (for the OpenAPI documents). */
  definitions(): ReadonlyMap<string, SchemaNode>;
}
