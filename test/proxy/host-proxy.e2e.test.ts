// The suites that run a whole `k8ts server` whose kube-proxy writes the
// host's own iptables (as root): one file, so that node's test runner runs
// them one after the other. Two proxies on one host's tables would rewrite
// each other's chains, and each suite's `k8ts proxy --cleanup` removes
// every chain of ours.
import './host/rolling-update.js';
import './host/in-cluster.js';
