// What the ledger holds (ReadLedger): an object with its copies, a key range, the backends'
// balances. Each a read from one snapshot, outside any transaction; a LIST page and the
// balances are one statement each: one round trip on Postgres (readStatement).
import type { ListRequest, ReadLedger } from '../ledger.js';
import type { ListEntry, LocationRow, ObjectRow, QuotaRow } from '../types.js';
import type { Core } from './tx-work.js';
import type { OperatorFigures } from '../tx-adapter.js';

export function readOperations(core: Core): ReadLedger {
  return {
    async getObject(objectKey: string): Promise<{ object: ObjectRow; locations: LocationRow[] } | null> {
      // Two statements: a join or a JSON aggregate of the copies in one statement cost Postgres
      // more CPU than the snapshot's two extra round trips (docs/performance.md).
      return core.read(async (q) => {
        const object = await q.selectObject(objectKey);
        if (!object) return null;
        return { object, locations: await q.selectLocations(objectKey) };
      });
    },

    async listRange(req: ListRequest): Promise<ListEntry[]> {
      if (req.limit <= 0) return [];
      return core.readStatement((q) => q.listObjects(req.from, req.to, req.limit));
    },

    async getQuotas(): Promise<QuotaRow[]> {
      return core.readStatement((q) => q.selectQuotas());
    },

    async copiesByBackend(): Promise<Array<{ backendName: string; copies: number }>> {
      return core.read((q) => q.countCopiesByBackend());
    },

    async operatorFigures(factor: number): Promise<OperatorFigures> {
      return core.read((q) => q.countOperatorFigures(factor));
    },
  };
}
