import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readClientModels } from '../../src/api/schema/build/client-models.js';
import { deriveDefinitions } from '../../src/api/schema/build/derive.js';
import { schemaGroupVersions } from '../../src/api/schema/groups.js';
import { schemaRegistryFrom } from '../../src/api/schema/registry.js';
import { RESOURCES } from '../../src/api/scheme/resources.js';

const { definitions, unmatched, missingKinds } = deriveDefinitions(readClientModels(), schemaGroupVersions());
const defs = definitions as Record<string, any>;

describe('derived definitions', () => {
  test('every served kind and its list has a schema tagged with its GVK', () => {
    assert.deepEqual(missingKinds, []);
    const registry = schemaRegistryFrom(defs);
    for (const r of RESOURCES) {
      assert.ok(registry.forKind(r.group, r.version, r.kind), `${r.group}/${r.version} ${r.kind}`);
      if (r.verbs.includes('list')) assert.ok(registry.forKind(r.group, r.version, r.listKind), `${r.listKind}`);
    }
  });

  test('names follow upstream packages', () => {
    for (const name of [
      'io.k8s.api.core.v1.Pod', 'io.k8s.api.core.v1.Container', 'io.k8s.api.apps.v1.Deployment', 'io.k8s.api.core.v1.Event',
      'io.k8s.api.events.v1.Event', 'io.k8s.api.discovery.v1.EndpointPort', 'io.k8s.api.core.v1.EndpointPort',
      'io.k8s.api.core.v1.TopologySelectorTerm', 'io.k8s.api.rbac.v1.Subject', 'io.k8s.api.autoscaling.v1.Scale',
      'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler', 'io.k8s.api.authentication.v1.TokenRequest',
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
      'io.k8s.apimachinery.pkg.api.resource.Quantity', 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
      'io.k8s.apimachinery.pkg.runtime.RawExtension',
    ]) {
      assert.ok(defs[name], name);
    }
    assert.equal(defs['io.k8s.api.apps.v1.PodSpec'], undefined, 'core types stay in core even when apps reaches them');
  });

  test('Pod containers are a list of Container merged by name', () => {
    const containers = defs['io.k8s.api.core.v1.PodSpec'].properties.containers;
    assert.equal(containers.type, 'array');
    assert.equal(containers.items.$ref, '#/definitions/io.k8s.api.core.v1.Container');
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
    assert.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
    assert.deepEqual(defs['io.k8s.api.core.v1.PodSpec'].required, ['containers']);
    const ports = defs['io.k8s.api.core.v1.Container'].properties.ports;
    assert.deepEqual(ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
    assert.equal(defs['io.k8s.api.core.v1.PodSpec'].properties.volumes['x-kubernetes-patch-strategy'], 'merge,retainKeys');
    assert.equal(defs['io.k8s.api.core.v1.PodSpec'].properties.tolerations['x-kubernetes-list-type'], 'atomic');
    assert.equal(defs['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.ownerReferences['x-kubernetes-patch-merge-key'], 'uid');
  });

  test('Deployment carries its GVK and retainKeys on strategy', () => {
    assert.deepEqual(defs['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
    assert.equal(defs['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy['x-kubernetes-patch-strategy'], 'retainKeys');
    const kinds = defs['io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions']['x-kubernetes-group-version-kind'].map((g: any) => `${g.group}/${g.version}`);
    assert.ok(kinds.includes('/v1') && kinds.includes('apps/v1'));
  });

  test('special types come back from client-node’s flattening', () => {
    assert.equal(defs['io.k8s.api.core.v1.ResourceRequirements'].properties.limits.additionalProperties.$ref, '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity');
    assert.equal(defs['io.k8s.api.core.v1.ServicePort'].properties.targetPort.$ref, '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    assert.equal(defs['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.creationTimestamp.$ref, '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Time');
    assert.equal(defs['io.k8s.api.apps.v1.ControllerRevision'].properties.data.$ref, '#/definitions/io.k8s.apimachinery.pkg.runtime.RawExtension');
    assert.equal(defs['io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry'].properties.fieldsV1.$ref, '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1');
    assert.deepEqual(defs['io.k8s.api.core.v1.ObjectMeta'], undefined);
    assert.equal(defs['io.k8s.api.core.v1.Container'].properties.image.type, 'string');
    assert.match(defs['io.k8s.api.core.v1.Container'].properties.image.description, /Container image name/);
  });

  test('every hand-written extension names a field client-node has', () => {
    assert.deepEqual(unmatched, []);
  });
});

describe('schema registry', () => {
  const registry = schemaRegistryFrom(defs);

  test('references resolve to shared nodes, cycles included', () => {
    const pod = registry.forKind('', 'v1', 'Pod')!;
    const container = pod.properties!.spec.properties!.containers.items!;
    assert.equal(container, registry.definition('io.k8s.api.core.v1.Container'));
    assert.equal(pod.properties!.metadata, registry.definition('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'));
  });

  test('a reference with its own extensions gets its own node over the same fields', () => {
    const strategy = registry.forKind('apps', 'v1', 'Deployment')!.properties!.spec.properties!.strategy;
    const def = registry.definition('io.k8s.api.apps.v1.DeploymentStrategy')!;
    assert.notEqual(strategy, def);
    assert.equal(strategy.properties, def.properties);
    assert.equal(strategy.ref, 'io.k8s.api.apps.v1.DeploymentStrategy');
    assert.equal(strategy['x-kubernetes-patch-strategy'], 'retainKeys');
  });
});
