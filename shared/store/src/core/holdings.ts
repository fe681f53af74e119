// What the ledger accounts for on a backend (HoldingsLedger): committed copies, open intents,
// queued and dead-lettered debts, open uploads — the records verify, reconcile and sync
// compare with what the backend lists.
import type { HoldingsLedger, HoldingsRequest } from '../ledger.js';
import type { HoldingPage, ReadStatements } from '../tx-adapter.js';
import type { BackendHolding, HoldingKind } from '../types.js';
import type { Core } from './tx-work.js';

/** The read statement that pages each kind of holding (one per table family). */
const HOLDING_READERS: Record<HoldingKind, (q: ReadStatements, backendName: string, page: HoldingPage) => Promise<BackendHolding[]>> = {
  copy: (q, b, p) => q.listLocationHoldings(b, p),
  intent: (q, b, p) => q.listIntentHoldings(b, p),
  debt: (q, b, p) => q.listCleanupHoldings(b, p),
  dead_letter: (q, b, p) => q.listDeadLetterHoldings(b, p),
  upload: (q, b, p) => q.listUploadHoldings(b, p),
};

export function holdingOperations(core: Core): HoldingsLedger {
  return {
    async listHoldings(req: HoldingsRequest): Promise<BackendHolding[]> {
      if (req.limit <= 0) return [];
      const readPage = HOLDING_READERS[req.kind];
      return core.read((q) => readPage(q, req.backendName, { after: req.after, limit: req.limit }));
    },

    async findHoldings(backendName: string, storageKey: string): Promise<BackendHolding[]> {
      // Storage keys are unique per write; a few records at most share one (e.g. a debt owed twice).
      const page: HoldingPage = { after: null, limit: 100, storageKey };
      return core.read(async (q) => {
        const found: BackendHolding[] = [];
        for (const readPage of Object.values(HOLDING_READERS)) found.push(...(await readPage(q, backendName, page)));
        return found;
      });
    },
  };
}
