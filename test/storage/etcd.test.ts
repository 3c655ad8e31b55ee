import { after, before, describe } from 'node:test';
import { etcdSkip, startEtcd, type EtcdProcess } from '../helpers/etcd.js';
import { conformance } from './conformance/index.js';
import { etcdHarness } from './harnesses.js';

// Without etcd the suite is skipped locally; with CI set it fails instead.
describe('etcd backend', { skip: etcdSkip() }, () => {
  let etcd: EtcdProcess | null = null;
  const endpoints = (): string[] => {
    if (!etcd) throw new Error('etcd did not start');
    return etcd.endpoints;
  };
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.stop();
  });
  conformance('storage conformance: etcd', etcdHarness(endpoints, false));
  conformance('storage conformance: etcd + watch cache', etcdHarness(endpoints, true));
});
