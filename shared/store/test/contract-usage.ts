// The Ledger contract, usage part: folding usage.delta events into backend_usage exactly
// once per (consumer, event), atomically with the processed_events record.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '../src/index.js';
import type { WithLedger } from './contract-helpers.js';

export function describeUsageContract(withLedger: WithLedger): void {
  describe('usage', () => {
    test('deltas add up per backend and month; a redelivered event adds nothing', () =>
      withLedger(async (ledger, clock) => {
        const e1 = newId();
        const first = await ledger.applyUsageDelta('usage-fold', e1, { backendName: 'a', period: '2026-11', requests: 3, egress: 100, ingress: 7 });
        assert.equal(first.applied, true);
        assert.deepEqual(first.total, { backendName: 'a', period: '2026-11', apiRequests: 3, egressBytes: 100, ingressBytes: 7, updatedAt: clock.now });
        clock.now += 1000;
        const second = await ledger.applyUsageDelta('usage-fold', newId(), { backendName: 'a', period: '2026-11', requests: 2, egress: 2 ** 40, ingress: 0 });
        assert.deepEqual(second.total, { backendName: 'a', period: '2026-11', apiRequests: 5, egressBytes: 100 + 2 ** 40, ingressBytes: 7, updatedAt: clock.now });
        const again = await ledger.applyUsageDelta('usage-fold', e1, { backendName: 'a', period: '2026-11', requests: 3, egress: 100, ingress: 7 });
        assert.equal(again.applied, false);
        assert.deepEqual(again.total, second.total, 'a redelivery reports the total as it stands');
        // Another consumer recording the same event is its own business.
        assert.equal(await ledger.markProcessed('someone-else', e1), true);
        await ledger.applyUsageDelta('usage-fold', newId(), { backendName: 'b', period: '2026-11', requests: 1, egress: 0, ingress: 1 });
        await ledger.applyUsageDelta('usage-fold', newId(), { backendName: 'a', period: '2026-12', requests: 1, egress: 1, ingress: 1 });
        assert.deepEqual((await ledger.listUsage('2026-11')).map((r) => [r.backendName, r.apiRequests, r.egressBytes, r.ingressBytes]), [
          ['a', 5, 100 + 2 ** 40, 7],
          ['b', 1, 0, 1],
        ]);
        assert.deepEqual((await ledger.listUsage(null)).map((r) => `${r.period}/${r.backendName}`), ['2026-11/a', '2026-11/b', '2026-12/a']);
      }));

    test('the processed_events record and the addition commit together', () =>
      withLedger(async (ledger) => {
        await assert.rejects(
          ledger.applyUsageDelta('usage-fold', newId(), { backendName: 'a', period: '2026-11', requests: -1, egress: 0, ingress: 0 }),
          RangeError,
        );
        const max = Number.MAX_SAFE_INTEGER;
        await ledger.applyUsageDelta('usage-fold', newId(), { backendName: 'a', period: '2026-11', requests: 0, egress: max, ingress: 0 });
        // This fold fails inside its transaction, after the processed_events insert: the total
        // would be beyond what a JS number holds exactly, so reading it back is refused.
        const eventId = newId();
        await assert.rejects(ledger.applyUsageDelta('usage-fold', eventId, { backendName: 'a', period: '2026-11', requests: 1, egress: max, ingress: 0 }));
        assert.equal(await ledger.markProcessed('usage-fold', eventId), true, 'the failed fold left no processed_events row');
        const [row] = await ledger.listUsage('2026-11');
        assert.deepEqual([row!.apiRequests, row!.egressBytes], [0, max], 'nor any addition');
      }));

    test('concurrent folds of one row all count', () =>
      withLedger(async (ledger) => {
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            ledger.applyUsageDelta('usage-fold', newId(), { backendName: 'a', period: '2026-11', requests: 1, egress: i, ingress: 2 })),
        );
        const [row] = await ledger.listUsage('2026-11');
        assert.deepEqual([row!.apiRequests, row!.egressBytes, row!.ingressBytes], [20, 190, 40]);
      }));
  });
}
