// The Ledger contract, monitoring part: the counts the /metrics gauges are read from.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { put, type WithLedger } from './contract-helpers.js';

export function describeStatsContract(withLedger: WithLedger): void {
  describe('stats', () => {
    test('copies per backend count the live copies of each backend that holds any', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }, { name: 'c', quotaBytes: 0 }]);
        assert.deepEqual(await ledger.copiesByBackend(), []);
        await put(ledger, 'bk/1', 10, ['a']);
        await put(ledger, 'bk/2', 10, ['a']);
        await put(ledger, 'bk/3', 10, ['b']);
        // An overwrite replaces its key's copy (the old one becomes a debt): still one copy.
        await put(ledger, 'bk/2', 20, ['b']);
        assert.deepEqual(await ledger.copiesByBackend(), [
          { backendName: 'a', copies: 1 },
          { backendName: 'b', copies: 2 },
        ]);
      }));
  });
}
