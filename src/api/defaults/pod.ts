// SetDefaults_* for PodSpec and everything inside it (core/v1 defaults.go),
// plus the Pod-only ones (requests from limits, service links, priority).

import { canonicalizeResourceList, ensure, list, rec, setIfEmpty, setIfUnset, unset, type Obj } from './util.js';
import { tryParseQuantity } from '../quantity.js';

const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi',
  'ephemeral', 'image',
];

const DEFAULT_MODE = 0o644;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/** The tag as docker's reference parser sees it: 'latest' when absent, '' for digests-only or unparsable names. */
export function imageTag(image: string): string {
  let name = image;
  const at = name.indexOf('@');
  const digest = at >= 0;
  if (digest) name = name.slice(0, at);
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  let repo = name;
  let tag = '';
  if (colon > slash) {
    repo = name.slice(0, colon);
    tag = name.slice(colon + 1);
    if (!TAG.test(tag)) return '';
  }
  const parts = repo.split('/');
  // A first component with '.' or ':' (or "localhost") is a registry host, which may carry other characters.
  if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost')) parts.shift();
  if (parts.length === 0 || !parts.every((p) => PATH_COMPONENT.test(p))) return '';
  if (!tag && !digest) return 'latest';
  return tag;
}

function defaultProbe(p: unknown): void {
  const probe = rec(p);
  if (!probe) return;
  if (!probe.timeoutSeconds) probe.timeoutSeconds = 1;
  if (!probe.periodSeconds) probe.periodSeconds = 10;
  if (!probe.successThreshold) probe.successThreshold = 1;
  if (!probe.failureThreshold) probe.failureThreshold = 3;
  defaultHandler(probe);
}

function defaultHandler(h: Obj | undefined): void {
  const http = rec(h?.httpGet);
  if (http) {
    setIfEmpty(http, 'path', '/');
    setIfEmpty(http, 'scheme', 'HTTP');
  }
}

function defaultFieldRef(v: unknown): void {
  const fr = rec(v);
  if (fr) setIfEmpty(fr, 'apiVersion', 'v1');
}

function defaultContainer(c: Obj): void {
  if (unset(c.imagePullPolicy) || c.imagePullPolicy === '') {
    c.imagePullPolicy = imageTag(typeof c.image === 'string' ? c.image : '') === 'latest' ? 'Always' : 'IfNotPresent';
  }
  setIfEmpty(c, 'terminationMessagePath', '/dev/termination-log');
  setIfEmpty(c, 'terminationMessagePolicy', 'File');
  for (const port of list(c.ports)) setIfEmpty(port, 'protocol', 'TCP');
  for (const ev of list(c.env)) defaultFieldRef(rec(ev.valueFrom)?.fieldRef);
  const res = rec(c.resources);
  if (res) {
    canonicalizeResourceList(res.limits);
    canonicalizeResourceList(res.requests);
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  const lc = rec(c.lifecycle);
  defaultHandler(rec(lc?.postStart));
  defaultHandler(rec(lc?.preStop));
}

function defaultVolume(v: Obj): void {
  if (VOLUME_SOURCES.every((k) => unset(v[k]))) v.emptyDir = {};
  const empty = rec(v.emptyDir);
  if (empty && !unset(empty.sizeLimit)) {
    const q = tryParseQuantity(empty.sizeLimit);
    if (typeof q !== 'string') empty.sizeLimit = q.toString();
  }
  const hp = rec(v.hostPath);
  if (hp) setIfUnset(hp, 'type', '');
  for (const k of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const src = rec(v[k]);
    if (src) setIfUnset(src, 'defaultMode', DEFAULT_MODE);
  }
  for (const item of list(rec(v.downwardAPI)?.items)) defaultFieldRef(item.fieldRef);
  for (const s of list(rec(v.projected)?.sources)) {
    for (const item of list(rec(s.downwardAPI)?.items)) defaultFieldRef(item.fieldRef);
    const sat = rec(s.serviceAccountToken);
    if (sat) setIfUnset(sat, 'expirationSeconds', 3600);
  }
  const iscsi = rec(v.iscsi);
  if (iscsi) setIfEmpty(iscsi, 'iscsiInterface', 'default');
  const rbd = rec(v.rbd);
  if (rbd) {
    setIfEmpty(rbd, 'pool', 'rbd');
    setIfEmpty(rbd, 'user', 'admin');
    setIfEmpty(rbd, 'keyring', '/etc/ceph/keyring');
  }
  const pvc = rec(rec(rec(v.ephemeral)?.volumeClaimTemplate)?.spec);
  if (pvc) setIfUnset(pvc, 'volumeMode', 'Filesystem');
}

/** SetDefaults_PodSpec and the nested defaulters, for pods and templates alike. */
export function defaultPodSpec(spec: Obj): void {
  setIfEmpty(spec, 'dnsPolicy', 'ClusterFirst');
  setIfEmpty(spec, 'restartPolicy', 'Always');
  if (unset(spec.securityContext)) spec.securityContext = {};
  setIfUnset(spec, 'terminationGracePeriodSeconds', 30);
  setIfEmpty(spec, 'schedulerName', 'default-scheduler');
  for (const v of list(spec.volumes)) defaultVolume(v);
  for (const c of list(spec.containers)) defaultContainer(c);
  for (const c of list(spec.initContainers)) defaultContainer(c);
  for (const c of list(spec.ephemeralContainers)) defaultContainer(c);
  canonicalizeResourceList(spec.overhead);
}

function requestsFromLimits(c: Obj): void {
  const res = rec(c.resources);
  const limits = rec(res?.limits);
  if (!res || !limits || Object.keys(limits).length === 0) return;
  const requests = ensure(res, 'requests');
  for (const [k, v] of Object.entries(limits)) if (!(k in requests)) requests[k] = v;
}

/** SetDefaults_Pod, the spec defaults, and what the Priority admission plugin fills for pods without a class. */
export function defaultPod(pod: Obj): void {
  const spec = ensure(pod, 'spec');
  for (const c of list(spec.containers)) requestsFromLimits(c);
  for (const c of list(spec.initContainers)) requestsFromLimits(c);
  setIfUnset(spec, 'enableServiceLinks', true);
  if (spec.hostNetwork === true) {
    for (const c of [...list(spec.containers), ...list(spec.initContainers)]) {
      for (const p of list(c.ports)) if (!p.hostPort) p.hostPort = p.containerPort;
    }
  }
  defaultPodSpec(spec);
  if (unset(spec.priorityClassName) || spec.priorityClassName === '') {
    setIfUnset(spec, 'priority', 0);
    setIfUnset(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  }
  // The pod strategy starts every new pod Pending with its QoS class.
  const status = ensure(pod, 'status');
  if (unset(status.phase)) {
    status.phase = 'Pending';
    status.qosClass = qosClass(spec);
  }
}

function qosClass(spec: Obj): string {
  const containers = [...list(spec.containers), ...list(spec.initContainers)];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const res = rec(c.resources) ?? {};
    const limits = rec(res.limits) ?? {};
    const requests = rec(res.requests) ?? {};
    for (const r of ['cpu', 'memory']) {
      const l = limits[r] === undefined ? undefined : tryParseQuantity(limits[r]);
      const q = requests[r] === undefined ? undefined : tryParseQuantity(requests[r]);
      const lz = !l || typeof l === 'string' || l.isZero();
      const qz = !q || typeof q === 'string' || q.isZero();
      if (!lz || !qz) any = true;
      if (lz) guaranteed = false;
      else if (!qz && typeof q !== 'string' && typeof l !== 'string' && q && l && q.cmp(l) !== 0) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** Defaults for a PodTemplateSpec embedded in a workload. */
export function defaultPodTemplate(template: unknown): void {
  const t = rec(template);
  if (!t) return;
  defaultPodSpec(ensure(t, 'spec'));
}
