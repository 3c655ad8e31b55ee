const n = Number(process.argv[2] ?? 10000);
const ip = (x) => [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255].join('.');
const out = ['add table ip kube-proxy', 'flush table ip kube-proxy',
 'add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority dstnat ; }',
 'add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }',
 'add chain ip kube-proxy services', 'add chain ip kube-proxy mark-for-masquerade',
 'add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }',
 'add rule ip kube-proxy nat-prerouting jump services', 'add rule ip kube-proxy nat-output jump services',
 'add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips',
 'add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000'];
for (let i = 0; i < n; i++) {
  const svc = `service-${i}-b/s${i}/tcp/http`;
  out.push(`add chain ip kube-proxy ${svc}`);
  const eps = [];
  for (let e = 0; e < 5; e++) {
    const a = ip(0x0a800000 + i * 8 + e);
    const ep = `endpoint-${i}-${e}-b/s${i}/tcp/http__${a}/8080`;
    eps.push(ep);
    out.push(`add chain ip kube-proxy ${ep}`);
    out.push(`add rule ip kube-proxy ${ep} ip saddr ${a} jump mark-for-masquerade`);
    out.push(`add rule ip kube-proxy ${ep} meta l4proto tcp dnat to ${a}:8080`);
  }
  out.push(`add rule ip kube-proxy ${svc} ip daddr ${ip(0x0a600000 + i + 1)} tcp dport 80 ip saddr != 10.128.0.0/9 jump mark-for-masquerade`);
  out.push(`add rule ip kube-proxy ${svc} numgen random mod 5 vmap { ${eps.map((e, k) => `${k} : goto ${e}`).join(' , ')} }`);
  out.push(`add element ip kube-proxy service-ips { ${ip(0x0a600000 + i + 1)} . tcp . 80 : goto ${svc} }`);
}
process.stdout.write(out.join('\n') + '\n');
