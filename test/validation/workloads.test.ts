import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, template } from './helpers.js';

function deployment(mut?: (d: any) => void): any {
  const d: any = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } }, template: template() } };
  mut?.(d);
  return d;
}

test('valid deployment, replicaset, daemonset, statefulset pass', () => {
  assert.deepEqual(check('apps', 'deployments', deployment()), []);
  assert.deepEqual(check('apps', 'replicasets', deployment((d) => (d.kind = 'ReplicaSet'))), []);
  assert.deepEqual(check('apps', 'daemonsets', deployment((d) => (d.kind = 'DaemonSet'))), []);
  assert.deepEqual(
    check('apps', 'statefulsets', deployment((d) => {
      d.kind = 'StatefulSet';
      d.spec.serviceName = 'web';
      d.spec.volumeClaimTemplates = [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }];
      d.spec.template.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }];
    })),
    [],
  );
});

test('deployment selector is required and must match the template', () => {
  assert.deepEqual(check('apps', 'deployments', deployment((d) => delete d.spec.selector)), [
    'spec.selector: Required value',
    'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
  ]);
  assert.deepEqual(check('apps', 'deployments', deployment((d) => (d.spec.selector = { matchLabels: { app: 'other' } }))), [
    'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
  ]);
  assert.deepEqual(check('apps', 'deployments', deployment((d) => (d.spec.selector = {}))), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
  ]);
});

test('deployment replicas, strategy and template restartPolicy', () => {
  assert.deepEqual(check('apps', 'deployments', deployment((d) => (d.spec.replicas = -1))), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']);
  assert.deepEqual(check('apps', 'deployments', deployment((d) => (d.spec.template.spec.restartPolicy = 'Never'))), [
    'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
  ]);
  assert.deepEqual(check('apps', 'deployments', deployment((d) => (d.spec.strategy = { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }))), [
    'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
  ]);
  assert.deepEqual(check('apps', 'deployments', deployment((d) => (d.spec.template.spec.containers[0].image = ''))), ['spec.template.spec.containers[0].image: Required value']);
});

test('deployment selector is immutable', () => {
  const old = deployment();
  check('apps', 'deployments', old);
  const upd = deployment((d) => {
    d.spec.selector = { matchLabels: { app: 'web', tier: 'x' } };
    d.spec.template.metadata.labels.tier = 'x';
  });
  assert.deepEqual(check('apps', 'deployments', upd, old), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
});

test('statefulset: forbidden spec updates', () => {
  const sts = () => deployment((d) => {
    d.kind = 'StatefulSet';
    d.spec.serviceName = 'web';
  });
  const old = sts();
  check('apps', 'statefulsets', old);
  const upd = sts();
  upd.spec.serviceName = 'other';
  assert.deepEqual(check('apps', 'statefulsets', upd, old), [
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
  ]);
});

test('jobs: restartPolicy, generated selector, immutability', () => {
  const job: any = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi', namespace: 'default', uid: 'u-1' }, spec: { template: template({}) } };
  job.spec.template.spec.restartPolicy = 'Never';
  assert.deepEqual(check('batch', 'jobs', job), []);
  assert.deepEqual(job.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
  assert.equal(job.spec.template.metadata.labels['job-name'], 'pi');
  const bad: any = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi', namespace: 'default', uid: 'u-2' }, spec: { template: template({}) } };
  assert.deepEqual(check('batch', 'jobs', bad), ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']);
  const upd = structuredClone(job);
  upd.spec.completions = 5;
  assert.deepEqual(check('batch', 'jobs', upd, job), ['spec.completions: Invalid value: 5: field is immutable']);
});

test('cronjobs: schedule, policy and name length', () => {
  const cj = (mut?: (c: any) => void) => {
    const c: any = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'tick', namespace: 'default' }, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: template({}) } } } };
    c.spec.jobTemplate.spec.template.spec.restartPolicy = 'OnFailure';
    mut?.(c);
    return c;
  };
  assert.deepEqual(check('batch', 'cronjobs', cj()), []);
  assert.deepEqual(check('batch', 'cronjobs', cj((c) => (c.spec.schedule = 'every minute'))), [
    'spec.schedule: Invalid value: "every minute": expected exactly 5 fields, found 2: [every minute]',
  ]);
  assert.deepEqual(check('batch', 'cronjobs', cj((c) => (c.spec.schedule = '61 * * * *'))), [
    'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61',
  ]);
  assert.deepEqual(check('batch', 'cronjobs', cj((c) => (c.spec.schedule = ''))), ['spec.schedule: Required value']);
  assert.deepEqual(check('batch', 'cronjobs', cj((c) => (c.spec.concurrencyPolicy = 'Sometimes'))), [
    'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
  ]);
  assert.deepEqual(check('batch', 'cronjobs', cj((c) => (c.metadata.name = 'x'.repeat(53)))), [`metadata.name: Invalid value: "${'x'.repeat(53)}": must be no more than 52 characters`]);
});
