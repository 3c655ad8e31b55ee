// Addresses hollow nodes report. They must be unique per node (the
// scheduler and endpoints look at them) and must not be anything real:
// 100.96.0.0/11, inside the shared address space (RFC 6598) that no test
// machine routes, next to the fake runtime's pod range 100.64.0.0/11.

const BASE = (100 << 24) | (96 << 16);

export function nodeAddress(index: number): string {
  const n = (BASE + 1 + index) >>> 0;
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * The loopback twin of nodeAddress (127.96.x.y): where a hollow node's
 * kubelet server listens when it runs one. All of 127/8 is local on Linux
 * without configuration, so each node gets its own reachable address and
 * the API server finds it the usual way (InternalIP + kubelet port).
 */
export function loopbackNodeAddress(index: number): string {
  const n = (((127 << 24) | (96 << 16)) + 1 + index) >>> 0;
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
