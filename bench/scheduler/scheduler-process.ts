// The scheduler alone in its own process for the benchmark (the lead wires
// `k8ts scheduler` into the CLI; this keeps the bench independent of that).
// Usage: node dist/bench/scheduler/scheduler-process.js KUBECONFIG
import { startScheduler } from '../../src/cmd/scheduler.js';

const kubeconfig = process.argv[2];
if (!kubeconfig) throw new Error('usage: scheduler-process.js KUBECONFIG');
const running = await startScheduler({ kubeconfig, leaderElect: false, qps: 5000, burst: 5000 });
process.stdout.write('scheduler started\n');
process.on('SIGTERM', () => {
  void running.stop().then(() => process.exit(0));
});
await running.done;
