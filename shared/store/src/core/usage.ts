// Folding usage deltas (UsageLedger). The processed_events row and the addition are one
// transaction, so a delta redelivered by the bus — also after a crash between the two — is
// never counted twice.
import type { UsageDelta, UsageFoldResult, UsageLedger, UsageRow } from '../usage.js';
import type { Core } from './tx-work.js';

export function usageOperations(core: Core): UsageLedger {
  return {
    async applyUsageDelta(consumer: string, eventId: string, delta: UsageDelta): Promise<UsageFoldResult> {
      for (const [name, value] of Object.entries({ requests: delta.requests, egress: delta.egress, ingress: delta.ingress })) {
        if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`usage delta ${name} must be a non-negative integer, got ${value}`);
      }
      return core.withWork(async ({ tx, now }) => {
        if (await tx.insertProcessedEvent(consumer, eventId, now)) {
          return { applied: true, total: await tx.addUsage(delta, now) };
        }
        const current = (await tx.selectUsage(delta.period)).find((r) => r.backendName === delta.backendName);
        return { applied: false, total: current ?? emptyRow(delta, now) };
      });
    },

    listUsage(period: string | null): Promise<UsageRow[]> {
      return core.read((q) => q.selectUsage(period));
    },
  };
}

/** A redelivered delta whose row was never made (the first run added zeros to nothing). */
function emptyRow(delta: UsageDelta, now: number): UsageRow {
  return { backendName: delta.backendName, period: delta.period, apiRequests: 0, egressBytes: 0, ingressBytes: 0, updatedAt: now };
}
