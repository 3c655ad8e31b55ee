import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, eventually, listPods, markPodFinished, type Harness } from './harness.js';
import { jobController } from '../../../src/controllers/job/controller.js';
import { JOBS } from '../../../src/controllers/shared/resources.js';
import type { Job } from '../../../src/controllers/job/types.js';
import type { Pod } from '../../../src/controllers/shared/types.js';

const job = (name: string, extra: string) => `apiVersion: batch/v1
kind: Job
metadata: { name: ${name}, namespace: default }
spec:
${extra}
  template:
    spec:
      restartPolicy: Never
      containers: [{ name: work, image: busybox, command: ["true"] }]
`;

describe('Job controller against a real API server', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness([jobController]);
  });
  after(async () => {
    await h?.close();
  });

  const getJob = (n: string) => h.client.get<Job>(JOBS, 'default', n);
  const running = async (n: string): Promise<Pod[]> => (await listPods(h, 'default', `job-name=${n}`)).filter((p) => !p.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''));

  test('completions 3 / parallelism 2 completes when pods succeed', async () => {
    await h.k(['apply', '-f', '-'], job('ok', '  completions: 3\n  parallelism: 2'));
    const first = await eventually('2 pods', async () => {
      const ps = await running('ok');
      return ps.length === 2 && ps;
    });
    for (const p of first) {
      assert.match(p.metadata.name!, /^ok-[a-z0-9]{5}$/);
      assert.ok(p.metadata.finalizers?.includes('batch.kubernetes.io/job-tracking'));
      assert.equal(p.metadata.ownerReferences?.[0]?.kind, 'Job');
    }
    // Never more than parallelism, never more than remaining completions.
    for (let done = 0; done < 3; ) {
      const ps = await eventually('a running pod', async () => {
        const r = await running('ok');
        return r.length > 0 && r;
      });
      assert.ok(ps.length <= Math.min(2, 3 - done), `${ps.length} running with ${done} done`);
      await markPodFinished(h, ps[0]!, 'Succeeded');
      done++;
      await eventually(`succeeded ${done}`, async () => (await getJob('ok')).status?.succeeded === done);
    }
    const j = await eventually('Complete', async () => {
      const x = await getJob('ok');
      return x.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') && x;
    });
    assert.ok(j.status?.completionTime);
    assert.ok(j.status?.conditions?.some((c) => c.type === 'SuccessCriteriaMet'));
    assert.equal(j.status?.failed, undefined);
    await h.k(['wait', '--for=condition=complete', 'job/ok']);
    assert.match(await h.k(['get', 'job', 'ok', '--no-headers']), /^ok\s+Complete\s+3\/3\s+/);
    for (const p of await listPods(h, 'default', 'job-name=ok')) assert.deepEqual(p.metadata.finalizers ?? [], []);
    const reasons = await h.k(['get', 'events', '--field-selector', 'involvedObject.name=ok', '-o', 'jsonpath={.items[*].reason}']);
    assert.match(reasons, /SuccessfulCreate/);
    assert.match(reasons, /Completed/);
  });

  test('fails with BackoffLimitExceeded once failures pass backoffLimit', async () => {
    await h.k(['apply', '-f', '-'], job('bad', '  completions: 3\n  parallelism: 2\n  backoffLimit: 1'));
    const ps = await eventually('2 pods', async () => {
      const r = await running('bad');
      return r.length === 2 && r;
    });
    for (const p of ps) await markPodFinished(h, p, 'Failed');
    const j = await eventually('Failed', async () => {
      const x = await getJob('bad');
      return x.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True') && x;
    });
    const failed = j.status!.conditions!.find((c) => c.type === 'Failed')!;
    assert.equal(failed.reason, 'BackoffLimitExceeded');
    assert.equal(failed.message, 'Job has reached the specified backoff limit');
    assert.ok(j.status?.conditions?.some((c) => c.type === 'FailureTarget'));
    assert.equal(j.status?.failed, 2);
    assert.equal(j.status?.active, undefined);
    await h.k(['wait', '--for=condition=failed', 'job/bad']);
  });

  test('Indexed jobs run each index once and report completedIndexes', async () => {
    await h.k(['apply', '-f', '-'], job('idx', '  completions: 3\n  parallelism: 3\n  completionMode: Indexed'));
    const ps = await eventually('3 pods', async () => {
      const r = await running('idx');
      return r.length === 3 && r;
    });
    const indexes = ps.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']).sort();
    assert.deepEqual(indexes, ['0', '1', '2']);
    for (const p of ps) {
      const i = p.metadata.annotations!['batch.kubernetes.io/job-completion-index'];
      assert.match(p.metadata.name!, new RegExp(`^idx-${i}-[a-z0-9]{5}$`));
      assert.equal(p.spec?.hostname, `idx-${i}`);
    }
    const one = ps.find((p) => p.metadata.annotations!['batch.kubernetes.io/job-completion-index'] === '1')!;
    await markPodFinished(h, one, 'Succeeded');
    await eventually('index 1 done', async () => (await getJob('idx')).status?.completedIndexes === '1');
    for (const p of ps) if (p !== one) await markPodFinished(h, p, 'Succeeded');
    const j = await eventually('Complete', async () => {
      const x = await getJob('idx');
      return x.status?.conditions?.some((c) => c.type === 'Complete') && x;
    });
    assert.equal(j.status?.completedIndexes, '0-2');
    assert.equal(j.status?.succeeded, 3);
  });
});
