import { isNotFound } from '../../client/status.js';
import { CSRS } from '../core-resources.js';
import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import { certificateOf, conditionsOf, hasCondition } from './csr.js';
import { logger } from '../../util/log.js';

// Upstream's csrcleaner: every hour, requests that have served their purpose
// go: approved-and-issued, denied or failed ones after an hour, pending ones
// after a day, and issued ones whose certificate has expired.

const log = logger('csrcleaner');
const POLL_MS = 3600_000;
const APPROVED_EXPIRATION_MS = 3600_000;
const DENIED_EXPIRATION_MS = 3600_000;
const PENDING_EXPIRATION_MS = 24 * 3600_000;

export async function startCsrCleaner(ctx: ControllerContext): Promise<RunningController> {
  const csrs = ctx.informers.informerFor(CSRS);
  csrs.start();
  const since = (t: string | undefined) => (t ? Date.now() - Date.parse(t) : 0);
  const sweep = async () => {
    for (const csr of csrs.store.list()) {
      const created = csr.metadata.creationTimestamp;
      const cond = (type: string) => conditionsOf(csr).find((c) => c.type === type);
      let stale = false;
      if (certificateOf(csr) && hasCondition(csr, 'Approved')) stale = since(cond('Approved')?.lastUpdateTime ?? created) > APPROVED_EXPIRATION_MS;
      else if (hasCondition(csr, 'Denied') || hasCondition(csr, 'Failed')) stale = since((cond('Denied') ?? cond('Failed'))?.lastUpdateTime ?? created) > DENIED_EXPIRATION_MS;
      else stale = since(created) > PENDING_EXPIRATION_MS;
      if (!stale) continue;
      try {
        await ctx.client.delete(CSRS, undefined, csr.metadata.name!);
        log.info({ csr: csr.metadata.name }, 'cleaned up certificate signing request');
      } catch (err) {
        if (!isNotFound(err)) log.warn({ csr: csr.metadata.name, err: (err as Error).message }, 'unable to delete certificate signing request');
      }
    }
  };
  const timer = setInterval(() => void sweep(), POLL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
    },
  };
}

export const csrCleanerController: ControllerDescriptor = { name: 'csrcleaner', start: startCsrCleaner };
