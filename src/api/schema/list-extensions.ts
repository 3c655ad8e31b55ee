// The merge semantics client-node's models do not carry: upstream keeps them in
// Go struct tags (patchStrategy, patchMergeKey) and markers (+listType,
// +listMapKey, +mapType, +structType). Strategic merge patch, server-side
// apply and `kubectl apply` all read them from the OpenAPI, so a list left
// out here is replaced wholesale instead of merged.

import { META_PACKAGE } from './groups.js';

export interface ListExtensions {
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
}

/** A list merged by key under SMP and keyed as a map under SSA (the usual pairing). */
function mergeBy(key: string, ...extraKeys: string[]): ListExtensions {
  return {
    'x-kubernetes-list-map-keys': [key, ...extraKeys],
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-patch-merge-key': key,
    'x-kubernetes-patch-strategy': 'merge',
  };
}

const atomic: ListExtensions = { 'x-kubernetes-list-type': 'atomic' };
const set: ListExtensions = { 'x-kubernetes-list-type': 'set' };
const atomicMap: ListExtensions = { 'x-kubernetes-map-type': 'atomic' };
const byType = mergeBy('type');
const byName = mergeBy('name');

type Table = Record<string, Record<string, Record<string, ListExtensions>>>;

const containerLists: Record<string, ListExtensions> = {
  args: atomic,
  command: atomic,
  env: byName,
  envFrom: atomic,
  ports: mergeBy('containerPort', 'protocol'),
  resizePolicy: atomic,
  restartPolicyRules: atomic,
  volumeDevices: mergeBy('devicePath'),
  volumeMounts: mergeBy('mountPath'),
};

/** Package → definition → field → extensions. */
export const LIST_EXTENSIONS: Table = {
  [META_PACKAGE]: {
    ObjectMeta: {
      finalizers: { 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' },
      managedFields: atomic,
      ownerReferences: mergeBy('uid'),
    },
    LabelSelector: { matchExpressions: atomic },
    LabelSelectorRequirement: { values: atomic },
    FieldSelectorRequirement: { values: atomic },
    StatusDetails: { causes: atomic },
    DeleteOptions: { dryRun: atomic },
  },
  'io.k8s.api.core.v1': {
    PersistentVolumeSpec: { accessModes: atomic, mountOptions: atomic },
    PersistentVolumeClaimSpec: { accessModes: atomic },
    PersistentVolumeClaimStatus: { accessModes: atomic, conditions: byType },
    RBDVolumeSource: { monitors: atomic },
    RBDPersistentVolumeSource: { monitors: atomic },
    CephFSVolumeSource: { monitors: atomic },
    CephFSPersistentVolumeSource: { monitors: atomic },
    SecretVolumeSource: { items: atomic },
    SecretProjection: { items: atomic },
    ConfigMapVolumeSource: { items: atomic },
    ConfigMapProjection: { items: atomic },
    DownwardAPIVolumeSource: { items: atomic },
    DownwardAPIProjection: { items: atomic },
    ISCSIVolumeSource: { portals: atomic },
    ISCSIPersistentVolumeSource: { portals: atomic },
    FCVolumeSource: { targetWWNs: atomic, wwids: atomic },
    ProjectedVolumeSource: { sources: atomic },
    HTTPGetAction: { httpHeaders: atomic },
    ExecAction: { command: atomic },
    Capabilities: { add: atomic, drop: atomic },
    ResourceRequirements: { claims: { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] } },
    Container: containerLists,
    EphemeralContainer: containerLists,
    ContainerStatus: { volumeMounts: mergeBy('mountPath'), allocatedResourcesStatus: byName },
    ResourceStatus: { resources: { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['resourceID'] } },
    LinuxContainerUser: { supplementalGroups: atomic },
    NodeSelector: { nodeSelectorTerms: atomic },
    NodeSelectorTerm: { matchExpressions: atomic, matchFields: atomic },
    NodeSelectorRequirement: { values: atomic },
    TopologySelectorTerm: { matchLabelExpressions: atomic },
    TopologySelectorLabelRequirement: { values: atomic },
    PodAffinity: { requiredDuringSchedulingIgnoredDuringExecution: atomic, preferredDuringSchedulingIgnoredDuringExecution: atomic },
    PodAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: atomic, preferredDuringSchedulingIgnoredDuringExecution: atomic },
    PodAffinityTerm: { namespaces: atomic, matchLabelKeys: atomic, mismatchLabelKeys: atomic },
    NodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: atomic },
    PodSpec: {
      containers: byName,
      ephemeralContainers: byName,
      hostAliases: mergeBy('ip'),
      imagePullSecrets: byName,
      initContainers: byName,
      nodeSelector: atomicMap,
      readinessGates: atomic,
      resourceClaims: { ...byName, 'x-kubernetes-patch-strategy': 'merge,retainKeys' },
      schedulingGates: byName,
      tolerations: atomic,
      topologySpreadConstraints: mergeBy('topologyKey', 'whenUnsatisfiable'),
      volumes: { ...byName, 'x-kubernetes-patch-strategy': 'merge,retainKeys' },
    },
    TopologySpreadConstraint: { matchLabelKeys: atomic },
    HostAlias: { hostnames: atomic },
    PodSecurityContext: { supplementalGroups: atomic, sysctls: atomic },
    PodDNSConfig: { nameservers: atomic, searches: atomic, options: atomic },
    PodStatus: {
      conditions: byType,
      containerStatuses: atomic,
      ephemeralContainerStatuses: atomic,
      hostIPs: { 'x-kubernetes-list-type': 'atomic', 'x-kubernetes-patch-merge-key': 'ip', 'x-kubernetes-patch-strategy': 'merge' },
      initContainerStatuses: atomic,
      podIPs: mergeBy('ip'),
      resourceClaimStatuses: { ...byName, 'x-kubernetes-patch-strategy': 'merge,retainKeys' },
    },
    ReplicationControllerSpec: { selector: atomicMap },
    ReplicationControllerStatus: { conditions: byType },
    ServiceStatus: { conditions: byType },
    LoadBalancerStatus: { ingress: atomic },
    LoadBalancerIngress: { ports: atomic },
    ServiceSpec: {
      clusterIPs: atomic,
      externalIPs: atomic,
      ipFamilies: atomic,
      loadBalancerSourceRanges: atomic,
      ports: mergeBy('port', 'protocol'),
      selector: atomicMap,
    },
    ServiceAccount: { secrets: byName, imagePullSecrets: atomic },
    Endpoints: { subsets: atomic },
    EndpointSubset: { addresses: atomic, notReadyAddresses: atomic, ports: atomic },
    NodeSpec: { podCIDRs: { 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' }, taints: atomic },
    NodeStatus: {
      addresses: byType,
      conditions: byType,
      images: atomic,
      runtimeHandlers: atomic,
      volumesAttached: atomic,
      volumesInUse: atomic,
    },
    ContainerImage: { names: atomic },
    NamespaceSpec: { finalizers: atomic },
    NamespaceStatus: { conditions: byType },
    LimitRangeSpec: { limits: atomic },
    ResourceQuotaSpec: { scopes: atomic },
    ScopeSelector: { matchExpressions: atomic },
    ScopedResourceSelectorRequirement: { values: atomic },
    ComponentStatus: { conditions: byType },
  },
  'io.k8s.api.apps.v1': {
    StatefulSetSpec: { volumeClaimTemplates: atomic },
    StatefulSetStatus: { conditions: byType },
    DeploymentSpec: { strategy: { 'x-kubernetes-patch-strategy': 'retainKeys' } },
    DeploymentStatus: { conditions: byType },
    DaemonSetStatus: { conditions: byType },
    ReplicaSetStatus: { conditions: byType },
  },
  'io.k8s.api.batch.v1': {
    PodFailurePolicyOnExitCodesRequirement: { values: set },
    PodFailurePolicyRule: { onPodConditions: atomic },
    PodFailurePolicy: { rules: atomic },
    SuccessPolicy: { rules: atomic },
    JobStatus: { conditions: { 'x-kubernetes-list-type': 'atomic', 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge' } },
    UncountedTerminatedPods: { succeeded: set, failed: set },
    CronJobStatus: { active: atomic },
  },
  'io.k8s.api.discovery.v1': {
    EndpointSlice: { endpoints: atomic, ports: atomic },
    Endpoint: { addresses: set },
    EndpointHints: { forZones: atomic, forNodes: atomic },
  },
  'io.k8s.api.rbac.v1': {
    PolicyRule: { verbs: atomic, apiGroups: atomic, resources: atomic, resourceNames: atomic, nonResourceURLs: atomic },
    Role: { rules: atomic },
    ClusterRole: { rules: atomic },
    RoleBinding: { subjects: atomic },
    ClusterRoleBinding: { subjects: atomic },
    AggregationRule: { clusterRoleSelectors: atomic },
  },
  'io.k8s.api.certificates.v1': {
    CertificateSigningRequestSpec: { usages: atomic, groups: atomic },
    CertificateSigningRequestStatus: { conditions: { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] } },
  },
  'io.k8s.api.authentication.v1': {
    TokenReviewSpec: { audiences: atomic },
    TokenReviewStatus: { audiences: atomic },
    UserInfo: { groups: atomic },
    TokenRequestSpec: { audiences: atomic },
  },
  'io.k8s.api.authorization.v1': {
    LabelSelectorAttributes: { requirements: atomic },
    FieldSelectorAttributes: { requirements: atomic },
    SubjectAccessReviewSpec: { groups: atomic },
    SubjectRulesReviewStatus: { resourceRules: atomic, nonResourceRules: atomic },
    ResourceRule: { verbs: atomic, apiGroups: atomic, resources: atomic, resourceNames: atomic },
    NonResourceRule: { verbs: atomic, nonResourceURLs: atomic },
  },
  'io.k8s.api.policy.v1': {
    PodDisruptionBudgetSpec: { selector: { 'x-kubernetes-patch-strategy': 'replace' } },
    PodDisruptionBudgetStatus: { conditions: byType },
  },
  'io.k8s.api.autoscaling.v2': {
    HorizontalPodAutoscalerSpec: { metrics: atomic },
    HPAScalingRules: { policies: atomic },
    HorizontalPodAutoscalerStatus: { currentMetrics: atomic, conditions: byType },
  },
  'io.k8s.api.storage.v1': {
    StorageClass: { mountOptions: atomic, allowedTopologies: atomic },
    CSIDriverSpec: { volumeLifecycleModes: set, tokenRequests: atomic },
    CSINodeSpec: { drivers: byName },
    CSINodeDriver: { topologyKeys: atomic },
  },
  'io.k8s.api.networking.v1': {
    NetworkPolicySpec: { ingress: atomic, egress: atomic, policyTypes: atomic },
    NetworkPolicyIngressRule: { ports: atomic, from: atomic },
    NetworkPolicyEgressRule: { ports: atomic, to: atomic },
    IPBlock: { except: atomic },
    IngressSpec: { tls: atomic, rules: atomic },
    IngressTLS: { hosts: atomic },
    IngressLoadBalancerStatus: { ingress: atomic },
    IngressLoadBalancerIngress: { ports: atomic },
    HTTPIngressRuleValue: { paths: atomic },
    ServiceCIDRSpec: { cidrs: atomic },
    ServiceCIDRStatus: { conditions: byType },
  },
};

/** Structs upstream marks +structType=atomic: apply replaces them whole. */
export const ATOMIC_STRUCTS: readonly string[] = [
  `${META_PACKAGE}.OwnerReference`,
  `${META_PACKAGE}.LabelSelector`,
  ...[
    'SecretReference', 'ObjectFieldSelector', 'ResourceFieldSelector', 'ConfigMapKeySelector', 'SecretKeySelector',
    'FileKeySelector', 'NodeSelector', 'NodeSelectorTerm', 'TopologySelectorTerm', 'EndpointAddress', 'EndpointPort',
    'ObjectReference', 'LocalObjectReference', 'TypedLocalObjectReference', 'ScopeSelector',
  ].map((t) => `io.k8s.api.core.v1.${t}`),
  'io.k8s.api.autoscaling.v1.CrossVersionObjectReference',
  'io.k8s.api.discovery.v1.EndpointPort',
  'io.k8s.api.networking.v1.ServiceBackendPort',
  'io.k8s.api.rbac.v1.Subject',
  'io.k8s.api.rbac.v1.RoleRef',
];
