// The Ledger contract, event log pruning: which event_log and processed_events rows a prune
// may delete — only those no consumer can be handed again.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Ledger } from '../src/index.js';
import type { WithLedger } from './contract-helpers.js';

async function seqs(ledger: Ledger): Promise<number[]> {
  return (await ledger.readEventsAfter(0, 100)).map((e) => e.seq);
}

async function ids(ledger: Ledger): Promise<string[]> {
  return (await ledger.readEventsAfter(0, 100)).map((e) => e.id);
}

const event = (n: number) => ({ type: 'usage.delta', resource: `r${n}`, data: { version: 1, n } });

export function describeEventPruningContract(withLedger: WithLedger): void {
  describe('event log pruning', () => {
    test('NATS bus: published rows older than the cutoff go, unpublished rows stay; processed records go with their events', () =>
      withLedger(async (ledger, clock) => {
        const t0 = clock.now;
        await ledger.appendEvents([event(1), event(2), event(3)]);
        const [e1, e2, e3] = await ids(ledger);
        assert.equal(await ledger.relayEvents(2, async () => {}), 2, 'the two oldest are published at t0');
        assert.equal(await ledger.markProcessed('usage-fold', e1!), true);
        assert.equal(await ledger.markProcessed('usage-fold', e3!), true);

        assert.deepEqual(await ledger.pruneEventLog({ before: t0, unpublishedToo: false, limit: 100 }), { events: 0, processed: 0 },
          'nothing is older than the cutoff');
        clock.now += 10;
        assert.deepEqual(await ledger.pruneEventLog({ before: t0 + 5, unpublishedToo: false, limit: 1 }), { events: 1, processed: 1 },
          'one batch takes at most `limit` rows of each table');
        assert.deepEqual(await ledger.pruneEventLog({ before: t0 + 5, unpublishedToo: false, limit: 100 }), { events: 1, processed: 0 },
          "e3's record stays: its event is still in the log");
        assert.deepEqual(await ids(ledger), [e3], 'the unpublished event is still owed to NATS');
        assert.equal(await ledger.markProcessed('usage-fold', e1!), true, "e1's record is gone");
        assert.equal(await ledger.markProcessed('usage-fold', e3!), false, "e3's record is kept");
        assert.equal(await ledger.markProcessed('usage-fold', e2!), true);
      }));

    test('in-process bus: rows behind every consumer that moved since the cutoff go; a consumer that stopped does not hold them', () =>
      withLedger(async (ledger, clock) => {
        const t0 = clock.now;
        await ledger.setConsumerOffset('retired', 0);
        clock.now += 100;
        await ledger.appendEvents([event(1), event(2), event(3), event(4)]);
        const [, s2, s3, s4] = await seqs(ledger);
        clock.now += 100;
        await ledger.setConsumerOffset('cleanup-queue-wakeup', s3!);
        await ledger.setConsumerOffset('placement-created', s2!);

        assert.deepEqual(await ledger.pruneEventLog({ before: t0 + 100, unpublishedToo: true, limit: 100 }), { events: 0, processed: 0 },
          'rows created at the cutoff are not older than it');
        assert.deepEqual(await ledger.pruneEventLog({ before: t0 + 150, unpublishedToo: false, limit: 100 }), { events: 0, processed: 0 },
          'without unpublishedToo, unpublished rows are never pruned');
        assert.deepEqual(await ledger.pruneEventLog({ before: t0 + 150, unpublishedToo: true, limit: 100 }), { events: 2, processed: 0 },
          'up to the slowest live consumer; "retired" (not moved since the cutoff) does not count');
        assert.deepEqual(await seqs(ledger), [s3, s4]);
        clock.now += 1000;
        assert.deepEqual(await ledger.pruneEventLog({ before: clock.now, unpublishedToo: true, limit: 100 }), { events: 0, processed: 0 },
          'no consumer moved since this cutoff: nothing is known to be consumed, nothing goes');
      }));
  });
}
