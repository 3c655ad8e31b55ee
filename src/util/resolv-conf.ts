// The host's /etc/resolv.conf as the cluster DNS (forwarding) and the
// kubelet (dnsPolicy Default, the host's search path) read it.
import { readFileSync } from 'node:fs';

export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...fields] = line.split(/\s+/);
    // As glibc: the last search/domain line wins; nameserver and options lines add up.
    if (key === 'nameserver' && fields[0]) out.nameservers.push(fields[0]);
    else if (key === 'search' || key === 'domain') out.searches = fields;
    else if (key === 'options') out.options.push(...fields);
  }
  return out;
}

export function readResolvConf(path = '/etc/resolv.conf'): ResolvConf {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch {
    return { nameservers: [], searches: [], options: [] };
  }
}

export function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip === 'localhost';
}
