// Folding usage deltas (UsageLedger). The processed_events row and the addition are one
// transaction, so a delta redelivered by the bus — also after a crash between the two — is
// never counted twice.
import type { DailyUsageRow, UsageDelta, UsageFoldResult, UsageLedger, UsageRow } from '../usage.js';
import type { Core } from './tx-work.js';

export function usageOperations(core: Core): UsageLedger {
  return {
    async applyUsageDelta(consumer: string, eventId: string, delta: UsageDelta): Promise<UsageFoldResult> {
      for (const [name, value] of Object.entries({ requests: delta.requests, egress: delta.egress, ingress: delta.ingress })) {
        if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`usage delta ${name} must be a non-negative integer, got ${value}`);
      }
      return core.withWork(async ({ tx, now }) => {
        if (await tx.insertProcessedEvent(consumer, eventId, now)) {
          await tx.addDailyUsage({ ...delta, day: dayInPeriod(delta.period, delta.day ?? new Date(now).toISOString().slice(0, 10)) }, now);
          return { applied: true, total: await tx.addUsage(delta, now) };
        }
        const current = (await tx.selectUsage(delta.period)).find((r) => r.backendName === delta.backendName);
        return { applied: false, total: current ?? emptyRow(delta, now) };
      });
    },

    listUsage(period: string | null): Promise<UsageRow[]> {
      return core.read((q) => q.selectUsage(period));
    },

    async listDailyUsage(period: string): Promise<DailyUsageRow[]> {
      if (!PERIOD.test(period)) throw new RangeError(`usage period must be YYYY-MM, got ${JSON.stringify(period)}`);
      return core.read((q) => q.selectDailyUsage(period));
    },
  };
}

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `day` when it lies in `period`, else the period's first or last day, whichever is nearer. */
export function dayInPeriod(period: string, day: string): string {
  if (!PERIOD.test(period)) throw new RangeError(`usage period must be YYYY-MM, got ${JSON.stringify(period)}`);
  if (!DAY.test(day)) throw new RangeError(`usage day must be YYYY-MM-DD, got ${JSON.stringify(day)}`);
  if (day.slice(0, 7) === period) return day;
  if (day < period) return `${period}-01`;
  const [year, month] = period.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${period}-${String(last).padStart(2, '0')}`;
}

/** A redelivered delta whose row was never made (the first run added zeros to nothing). */
function emptyRow(delta: UsageDelta, now: number): UsageRow {
  return { backendName: delta.backendName, period: delta.period, apiRequests: 0, egressBytes: 0, ingressBytes: 0, updatedAt: now };
}
