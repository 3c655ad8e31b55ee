import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proxySettings } from '../../src/cmd/proxy.js';
import { isIPv6CIDR } from '../../src/proxy/addresses.js';

// --cluster-cidr: one IPv4 range, or in nftables mode (which proxies IPv6 too) one range of each family.

test('--cluster-cidr takes one range of each family in nftables mode only', { skip: process.getuid?.() !== 0 ? 'the iptables and nftables modes need root' : false }, () => {
  assert.equal(proxySettings({ proxyMode: 'nftables', clusterCidr: '10.244.0.0/16,fd00:244::/56' }).clusterCIDR, '10.244.0.0/16,fd00:244::/56');
  assert.equal(proxySettings({ proxyMode: 'nftables', clusterCidr: 'fd00:244::/56' }).clusterCIDR, 'fd00:244::/56');
  assert.throws(() => proxySettings({ proxyMode: 'nftables', clusterCidr: '10.244.0.0/16,10.245.0.0/16' }), /one of each/);
  assert.throws(() => proxySettings({ proxyMode: 'iptables', clusterCidr: '10.244.0.0/16,fd00:244::/56' }), /must be an IPv4 CIDR, not/);
  assert.throws(() => proxySettings({ proxyMode: 'nftables', clusterCidr: 'fd00:244::/129' }), /--cluster-cidr/);
});

test('isIPv6CIDR', () => {
  assert.ok(isIPv6CIDR('fd00::/8'));
  assert.ok(isIPv6CIDR('2001:db8::1'));
  assert.ok(!isIPv6CIDR('10.0.0.0/8'));
  assert.ok(!isIPv6CIDR('fd00::/200'));
  assert.ok(!isIPv6CIDR('fd00::/8/1'));
});
