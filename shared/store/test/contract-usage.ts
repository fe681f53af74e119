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

    test('deltas add up per backend and UTC day too; the days of a month add up to its row', () =>
      withLedger(async (ledger, clock) => {
        const fold = (eventId: string, backendName: string, period: string, day: string | undefined, requests: number, egress: number) =>
          ledger.applyUsageDelta('usage-fold', eventId, { backendName, period, day, requests, egress, ingress: 1 });
        const e1 = newId();
        await fold(e1, 'a', '2026-11', '2026-11-03', 2, 10);
        await fold(newId(), 'a', '2026-11', '2026-11-03', 1, 5);
        await fold(newId(), 'b', '2026-11', '2026-11-03', 4, 0);
        await fold(newId(), 'a', '2026-11', '2026-11-17', 1, 1);
        // Last month's usage flushed after midnight counts on last month's last day.
        await fold(newId(), 'a', '2026-11', '2026-12-01', 3, 3);
        await fold(newId(), 'a', '2026-12', '2026-12-01', 7, 7);
        // Without a day: the day of the fold (the ledger's clock), here 2026-11-20.
        clock.now = Date.UTC(2026, 10, 20, 12);
        await fold(newId(), 'b', '2026-11', undefined, 1, 1);
        assert.equal((await fold(e1, 'a', '2026-11', '2026-11-03', 2, 10)).applied, false, 'a redelivery adds to no day either');
        const days = (await ledger.listDailyUsage('2026-11')).map((r) => [r.day, r.backendName, r.apiRequests, r.egressBytes, r.ingressBytes]);
        assert.deepEqual(days, [
          ['2026-11-03', 'a', 3, 15, 2],
          ['2026-11-03', 'b', 4, 0, 1],
          ['2026-11-17', 'a', 1, 1, 1],
          ['2026-11-20', 'b', 1, 1, 1],
          ['2026-11-30', 'a', 3, 3, 1],
        ]);
        for (const month of await ledger.listUsage('2026-11')) {
          const mine = days.filter((d) => d[1] === month.backendName);
          assert.deepEqual([month.apiRequests, month.egressBytes, month.ingressBytes],
            [0, 0, 0].map((_, i) => mine.reduce((n, d) => n + (d[i + 2] as number), 0)), `${month.backendName}: the days add up to the month`);
        }
        assert.deepEqual((await ledger.listDailyUsage('2026-12')).map((r) => r.day), ['2026-12-01']);
        assert.deepEqual(await ledger.listDailyUsage('2027-01'), []);
        await assert.rejects(() => ledger.listDailyUsage('2026-13'), RangeError);
        await assert.rejects(fold(newId(), 'a', '2026-11', '3 Nov', 1, 1), RangeError);
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
