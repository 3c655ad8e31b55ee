import * as crypto from 'node:crypto';

// Chain names as upstream's iptables proxier computes them (pkg/proxy/iptables),
// so `iptables-save` on a k8ts node reads like one on a kubeadm node: the
// first 16 characters of base32(sha256(service port name + protocol)).

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (Go's base32.StdEncoding), enough of it for a 16-character prefix. */
function base32Prefix(buf: Buffer, chars: number): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
    if (out.length >= chars) break;
  }
  return out;
}

// A full sync names every chain again; remembering names saves most of its rendering time.
const memo = new Map<string, string>();
const MEMO_MAX = 500_000;

// One-shot hashing (Node >= 20.12) skips a Hash object per chain name: a tenth of a first full sync's rendering at 10,000 services.
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'buffer') => Buffer }).hash;
const sha256 = oneShot ? (s: string): Buffer => oneShot('sha256', s, 'buffer') : (s: string): Buffer => crypto.createHash('sha256').update(s).digest();

function hash16(s: string): string {
  let h = memo.get(s);
  if (h === undefined) {
    h = base32Prefix(sha256(s), 16);
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(s, h);
  }
  return h;
}

/** protocol is lower-case ("tcp"), as upstream passes strings.ToLower(protocol). */
export const portProtoHash = (servicePortName: string, protocol: string): string => hash16(servicePortName + protocol);
export const svcChain = (spn: string, proto: string): string => `KUBE-SVC-${portProtoHash(spn, proto)}`;
export const svlChain = (spn: string, proto: string): string => `KUBE-SVL-${portProtoHash(spn, proto)}`;
export const extChain = (spn: string, proto: string): string => `KUBE-EXT-${portProtoHash(spn, proto)}`;
export const fwChain = (spn: string, proto: string): string => `KUBE-FW-${portProtoHash(spn, proto)}`;
/** endpoint is "ip:port". */
export const sepChain = (spn: string, proto: string, endpoint: string): string => `KUBE-SEP-${hash16(spn + proto + endpoint)}`;

/** Chains that belong to one service port (deleted when unused); the fixed chains are listed in iptables/chains.ts. */
export function isServiceChain(name: string): boolean {
  return /^KUBE-(SVC|SVL|EXT|FW|SEP)-/.test(name);
}
