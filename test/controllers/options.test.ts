import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { parseGoDuration, defaultControllerManagerOptions } from '../../src/controllers/options.js';
import { selectControllers } from '../../src/controllers/manager.js';
import { addControllerManagerFlags, optionsFromFlags, type ControllerManagerFlags } from '../../src/cmd/controller-manager.js';
import type { ControllerDescriptor } from '../../src/controllers/types.js';

test('Go durations', () => {
  assert.equal(parseGoDuration('40s'), 40_000);
  assert.equal(parseGoDuration('1m30s'), 90_000);
  assert.equal(parseGoDuration('100ms'), 100);
  assert.equal(parseGoDuration('1.5h'), 5_400_000);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('-2s'), -2000);
  assert.throws(() => parseGoDuration('40'), /missing unit/);
  assert.throws(() => parseGoDuration('4x'), /invalid duration/);
  assert.throws(() => parseGoDuration(''), /invalid duration/);
});

test('--controllers selects as upstream, with aliases and canonical names', () => {
  const reg = ['namespace', 'garbagecollector', 'nodelifecycle', 'taint-eviction-controller'].map((name): ControllerDescriptor => ({ name, start: async () => ({ stop: async () => {} }) }));
  const names = (sel: string[]) => selectControllers(reg, sel).map((d) => d.name);
  assert.deepEqual(names(['*']), ['namespace', 'garbagecollector', 'nodelifecycle', 'taint-eviction-controller']);
  assert.deepEqual(names(['*', '-garbagecollector']), ['namespace', 'nodelifecycle', 'taint-eviction-controller']);
  assert.deepEqual(names(['*', '-node-lifecycle-controller']), ['namespace', 'garbagecollector', 'taint-eviction-controller']);
  assert.deepEqual(names(['namespace-controller']), ['namespace']);
  assert.deepEqual(names(['-namespace', '*']), ['garbagecollector', 'nodelifecycle', 'taint-eviction-controller']);
  assert.throws(() => names(['*', 'bogus']), /"bogus" is not in the list of known controllers/);
});

test('flags parse into options with upstream defaults', () => {
  const parse = (argv: string[]): ControllerManagerFlags => {
    const cmd = addControllerManagerFlags(new Command('controller-manager')).exitOverride();
    cmd.parse(argv, { from: 'user' });
    return cmd.opts();
  };
  const d = optionsFromFlags(parse([]));
  assert.deepEqual(d, defaultControllerManagerOptions());
  const flags = parse(['--node-monitor-grace-period=1m30s', '--node-monitor-period', '500ms', '--concurrent-gc-syncs=3', '--leader-elect=false', '--terminated-pod-gc-threshold=10']);
  const o = optionsFromFlags(flags);
  assert.equal(o.nodeMonitorGracePeriod, 90);
  assert.equal(o.nodeMonitorPeriod, 0.5);
  assert.equal(o.concurrentSyncs.gc, 3);
  assert.equal(o.terminatedPodGcThreshold, 10);
  assert.equal(flags.leaderElect, false);
  assert.equal(parse(['--leader-elect']).leaderElect, true);
  assert.equal(parse([]).leaderElect, true);
});
