// Objects the capture server hands kubectl to copy or modify: a CronJob whose
// pod template touches nearly every PodSpec field (kubectl create job
// --from=cronjob sends all of it back in protobuf), a CSR to approve, and
// what kubectl drain and kubectl autoscale read first. Zero values sit in
// pointer fields on purpose: they must survive the trip.

const podSpec = {
  volumes: [
    { name: 'cm', configMap: { name: 'settings', items: [{ key: 'a', path: 'a.txt', mode: 256 }], defaultMode: 420, optional: false } },
    { name: 'sec', secret: { secretName: 'creds', defaultMode: 0, optional: true } },
    { name: 'scratch', emptyDir: {} },
    { name: 'ram', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
    { name: 'host', hostPath: { path: '/var/log', type: '' } },
    { name: 'data', persistentVolumeClaim: { claimName: 'data', readOnly: true } },
    {
      name: 'proj',
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { audience: 'vault', expirationSeconds: 3600, path: 'token' } },
          {
            downwardAPI: {
              items: [
                { path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } },
                { path: 'cpu', resourceFieldRef: { containerName: 'main', resource: 'limits.cpu', divisor: '1m' } },
              ],
            },
          },
          { configMap: { name: 'settings', items: [{ key: 'b', path: 'b' }] } },
          { secret: { name: 'creds', optional: false } },
          { clusterTrustBundle: { signerName: 'example.com/signer', labelSelector: { matchLabels: { trust: 'yes' } }, path: 'ca.pem' } },
        ],
      },
    },
    { name: 'dapi', downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
    { name: 'nfs', nfs: { server: 'nfs.example.com', path: '/exports', readOnly: false } },
    { name: 'csi', csi: { driver: 'csi.example.com', volumeAttributes: { size: 'small' }, nodePublishSecretRef: { name: 'csi-secret' } } },
    {
      name: 'eph',
      ephemeral: {
        volumeClaimTemplate: {
          metadata: { labels: { kind: 'scratch' } },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'fast', volumeMode: 'Filesystem' },
        },
      },
    },
    { name: 'img', image: { reference: 'registry.example.com/data:1', pullPolicy: 'IfNotPresent' } },
  ],
  initContainers: [
    {
      name: 'sidecar',
      image: 'envoy',
      restartPolicy: 'Always',
      startupProbe: { grpc: { port: 9901, service: '' }, failureThreshold: 30, periodSeconds: 1 },
    },
  ],
  containers: [
    {
      name: 'main',
      image: 'app:1',
      command: ['/app'],
      args: ['--port', '8080', ''],
      workingDir: '/srv',
      ports: [
        { name: 'http', containerPort: 8080, protocol: 'TCP' },
        { containerPort: 53, hostPort: 5353, hostIP: '127.0.0.1', protocol: 'UDP' },
      ],
      envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'settings' } }, { secretRef: { name: 'creds', optional: true } }],
      env: [
        { name: 'PLAIN', value: 'x' },
        { name: 'EMPTY' },
        { name: 'NODE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password', optional: false } } },
        { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
      ],
      resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m', memory: '64Mi' }, claims: [{ name: 'gpu' }] },
      resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }],
      volumeMounts: [
        { name: 'cm', mountPath: '/etc/cfg', readOnly: true, recursiveReadOnly: 'IfPossible' },
        { name: 'scratch', mountPath: '/tmp', subPathExpr: '$(POD)', mountPropagation: 'HostToContainer' },
        { name: 'data', mountPath: '/data', subPath: 'x' },
      ],
      volumeDevices: [{ name: 'blk', devicePath: '/dev/xvda' }],
      livenessProbe: {
        httpGet: { path: '/healthz', port: 'http', host: 'localhost', scheme: 'HTTPS', httpHeaders: [{ name: 'X-Probe', value: '' }] },
        initialDelaySeconds: 5,
        timeoutSeconds: 2,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
        terminationGracePeriodSeconds: 0,
      },
      readinessProbe: { exec: { command: ['cat', '/ready'] } },
      startupProbe: { tcpSocket: { port: 8080 } },
      lifecycle: {
        postStart: { exec: { command: ['echo', 'hi'] } },
        preStop: { sleep: { seconds: 5 } },
      },
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'FallbackToLogsOnError',
      imagePullPolicy: 'Always',
      securityContext: {
        capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
        privileged: false,
        seLinuxOptions: { user: 'u', role: 'r', type: 't', level: 's0' },
        windowsOptions: { gmsaCredentialSpecName: 'gmsa', hostProcess: false, runAsUserName: 'ContainerUser' },
        runAsUser: 0,
        runAsGroup: 3000,
        runAsNonRoot: false,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        procMount: 'Default',
        seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/app.json' },
        appArmorProfile: { type: 'RuntimeDefault' },
      },
      stdin: true,
      stdinOnce: true,
      tty: true,
    },
  ],
  restartPolicy: 'OnFailure',
  terminationGracePeriodSeconds: 0,
  activeDeadlineSeconds: 600,
  dnsPolicy: 'None',
  nodeSelector: { 'kubernetes.io/os': 'linux', empty: '' },
  serviceAccountName: 'runner',
  serviceAccount: 'runner',
  automountServiceAccountToken: false,
  nodeName: 'node1',
  hostNetwork: true,
  hostPID: true,
  hostIPC: true,
  shareProcessNamespace: false,
  securityContext: {
    seLinuxOptions: { level: 's0:c123,c456' },
    runAsUser: 1000,
    runAsGroup: 0,
    runAsNonRoot: true,
    supplementalGroups: [0, 2000, 4294967295],
    supplementalGroupsPolicy: 'Strict',
    fsGroup: 2000,
    sysctls: [{ name: 'net.core.somaxconn', value: '1024' }],
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
    seLinuxChangePolicy: 'MountOption',
  },
  imagePullSecrets: [{ name: 'regcred' }, {}],
  hostname: 'box',
  subdomain: 'sub',
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }], matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n9'] }] },
        ],
      },
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'ssd', operator: 'Exists' }] } }],
    },
    podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        {
          labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] },
          namespaces: ['data'],
          topologyKey: 'kubernetes.io/hostname',
          namespaceSelector: {},
          matchLabelKeys: ['pod-template-hash'],
          mismatchLabelKeys: ['tenant'],
        },
      ],
    },
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'zone' } },
      ],
    },
  },
  schedulerName: 'custom',
  tolerations: [
    { key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoExecute', tolerationSeconds: 0 },
    { operator: 'Exists' },
  ],
  hostAliases: [{ ip: '10.0.0.1', hostnames: ['db.local', 'db'] }],
  priorityClassName: 'high',
  priority: 0,
  dnsConfig: { nameservers: ['1.1.1.1'], searches: ['svc.local'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0', value: '' }, { name: 'rotate' }] },
  readinessGates: [{ conditionType: 'example.com/ready' }],
  runtimeClassName: '',
  enableServiceLinks: false,
  preemptionPolicy: 'Never',
  overhead: { cpu: '10m' },
  topologySpreadConstraints: [
    {
      maxSkew: 1,
      topologyKey: 'zone',
      whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: { app: 'web' } },
      minDomains: 2,
      nodeAffinityPolicy: 'Honor',
      nodeTaintsPolicy: 'Ignore',
      matchLabelKeys: ['pod-template-hash'],
    },
  ],
  setHostnameAsFQDN: true,
  os: { name: 'linux' },
  hostUsers: false,
  schedulingGates: [{ name: 'example.com/gate' }],
  resourceClaims: [{ name: 'gpu', resourceClaimTemplateName: 'gpu-template' }],
  resources: { limits: { cpu: '2' } },
  ephemeralContainers: [{ name: 'debug', image: 'busybox', targetContainerName: 'main', stdin: true }],
};

export const CRONJOB = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'cj', namespace: 'default', uid: 'cj-uid', labels: { team: 'a' }, annotations: { note: 'x' } },
  spec: {
    schedule: '*/5 * * * *',
    timeZone: 'Etc/UTC',
    startingDeadlineSeconds: 0,
    concurrencyPolicy: 'Forbid',
    suspend: false,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 0,
    jobTemplate: {
      metadata: { labels: { job: 'nightly' }, annotations: { 'example.com/a': 'b' } },
      spec: {
        parallelism: 2,
        completions: 4,
        activeDeadlineSeconds: 3600,
        podFailurePolicy: {
          rules: [
            { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [1, 42] } },
            { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          ],
        },
        successPolicy: { rules: [{ succeededIndexes: '0-1', succeededCount: 1 }] },
        backoffLimit: 0,
        backoffLimitPerIndex: 1,
        maxFailedIndexes: 2,
        ttlSecondsAfterFinished: 0,
        completionMode: 'Indexed',
        suspend: false,
        podReplacementPolicy: 'Failed',
        managedBy: 'kubernetes.io/job-controller',
        template: { metadata: { labels: { app: 'nightly' }, annotations: { 'a.example.com/b': '' } }, spec: podSpec },
      },
    },
  },
  status: {},
};

export const DEPLOYMENT = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', namespace: 'default', uid: 'd-uid' },
  spec: {
    selector: { matchLabels: { app: 'd' } },
    template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
  },
};

export const CSR = {
  apiVersion: 'certificates.k8s.io/v1',
  kind: 'CertificateSigningRequest',
  metadata: { name: 'csr1', uid: 'csr-uid', resourceVersion: '5', creationTimestamp: '2024-01-02T03:04:05Z' },
  spec: {
    request: Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n').toString('base64'),
    signerName: 'kubernetes.io/kube-apiserver-client',
    expirationSeconds: 86400,
    usages: ['client auth', 'digital signature'],
    username: 'alice',
    uid: 'alice-uid',
    groups: ['system:authenticated'],
    extra: { 'scopes.example.com': ['a', 'b'], empty: [''] },
  },
  status: {
    conditions: [
      { type: 'Pending', status: 'True', reason: 'r', message: 'm', lastUpdateTime: '2024-01-02T03:04:05Z', lastTransitionTime: '2024-01-02T03:04:06Z' },
    ],
  },
};

/** What kubectl drain reads: the node, the pods on it, and legacy discovery that offers pods/eviction. */
export const DRAIN_OBJECTS: Record<string, unknown> = {
  '/api/v1': {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: 'v1',
    resources: [
      { name: 'nodes', singularName: 'node', namespaced: false, kind: 'Node', verbs: ['get', 'list', 'patch'] },
      { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['delete', 'get', 'list'] },
      { name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] },
    ],
  },
  '/api/v1/nodes/node1': { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1' }, spec: {} },
  '/api/v1/pods': {
    apiVersion: 'v1',
    kind: 'PodList',
    metadata: {},
    items: [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'p1', namespace: 'default', uid: 'p1-uid',
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs-uid', controller: true }],
        },
        spec: { nodeName: 'node1', containers: [{ name: 'c', image: 'nginx' }] },
      },
    ],
  },
};
