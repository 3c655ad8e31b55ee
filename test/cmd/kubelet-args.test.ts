// `k8ts agent --kubelet-arg NAME=VALUE`: parsed by `k8ts kubelet`'s own flag
// definitions; tuning flags pass, the ones the agent decides are refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kubeletArgOptions } from '../../src/cmd/kubelet-args.js';

test('tuning flags become kubelet options, with the kubelet\'s own parsing', () => {
  assert.deepEqual(kubeletArgOptions(['node-lease-duration-seconds=8', '--node-status-update-frequency=2s', 'resolv-conf=', 'node-labels=a=b,c=d', 'kube-api-qps=20']), {
    nodeLeaseDurationSeconds: 8,
    nodeStatusUpdateFrequency: 2000,
    resolvConf: '',
    nodeLabels: { a: 'b', c: 'd' },
    qps: 20,
  });
  assert.deepEqual(kubeletArgOptions(undefined), {});
});

test('flags the agent sets itself, unknown flags and malformed arguments are refused', () => {
  assert.throws(() => kubeletArgOptions(['node-name=x']), /--kubelet-arg: --node-name is set by k8ts agent itself/);
  assert.throws(() => kubeletArgOptions(['no-such-flag=1']), /--kubelet-arg: unknown option '--no-such-flag'/);
  assert.throws(() => kubeletArgOptions(['Bad Flag']), /--kubelet-arg must be NAME=VALUE/);
});
