// What the ledger holds (ReadLedger): an object with its copies, a key range, the backends'
// balances. Each a read from one snapshot, outside any transaction; an object with its copies,
// a LIST page and the balances are one statement each: one round trip on Postgres (readStatement).
import type { ListRequest, ReadLedger } from '../ledger.js';
import type { ListEntry, LocationRow, ObjectRow, QuotaRow } from '../types.js';
import type { Core } from './tx-work.js';
import type { OperatorFigures } from '../tx-adapter.js';

export function readOperations(core: Core): ReadLedger {
  return {
    async getObject(objectKey: string): Promise<{ object: ObjectRow; locations: LocationRow[] } | null> {
      // One statement, its own snapshot: one round trip on Postgres instead of a read
      // transaction's four. Postgres keeps the join's plan as a named prepared statement; planned
      // on every run, it cost more than the round trips it saves (docs/performance.md).
      return core.readStatement((q) => q.selectObjectWithLocations(objectKey));
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
