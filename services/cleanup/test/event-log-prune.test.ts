// Event log pruning against a real SQLite ledger with the in-process bus (the single-process
// setup): what the job deletes, when, and what it must keep. Which rows each engine deletes
// is the store contract's (shared/store/test/contract-event-pruning.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EventLogPrune, PRUNE_MARGIN_MS } from '../src/index.js';
import { startWorld, type World } from './fixture.js';

const HOUR = 60 * 60 * 1000;
const never = new AbortController().signal;

describe('event log pruning (in-process bus)', () => {
  let world: World;
  before(async () => {
    world = await startWorld({ backends: ['b1'], config: { bus: { retention: '24h' } } });
  });
  after(() => world.close());

  test('events every consumer has read are deleted once older than bus.retention (plus the margin); newer and unread ones stay', async () => {
    const { ledger, clock } = world;
    const usage = (n: number) => ({ type: 'usage.delta', resource: 'b1', data: { version: 1, n } });
    await ledger.appendEvents(Array.from({ length: 10 }, (_, i) => usage(i)));
    const old = await ledger.readEventsAfter(0, 100);
    await ledger.markProcessed('usage-fold', old[0]!.id);
    clock.now += 12 * HOUR;
    await ledger.appendEvents(Array.from({ length: 3 }, (_, i) => usage(100 + i)));
    const all = await ledger.readEventsAfter(0, 100);
    assert.equal(all.length, 13);

    const prune = new EventLogPrune(world.deps);
    clock.now += 12 * HOUR + PRUNE_MARGIN_MS + 1; // the first ten are now past retention + margin
    // Two consumers that keep moving: one has read everything, one only the first eight.
    await ledger.setConsumerOffset('cleanup-queue-wakeup', all.at(-1)!.seq);
    await ledger.setConsumerOffset('placement-created', old[7]!.seq);
    assert.deepEqual(await prune.pass(never), { events: 8, processed: 1 }, 'up to the slower consumer, and the record of a pruned event');
    assert.deepEqual((await ledger.readEventsAfter(0, 100)).map((e) => e.seq), all.slice(8).map((e) => e.seq));

    await ledger.setConsumerOffset('placement-created', all.at(-1)!.seq);
    assert.deepEqual(await prune.pass(never), { events: 2, processed: 0 }, 'the rest of the old ones once it caught up');
    assert.deepEqual((await ledger.readEventsAfter(0, 100)).map((e) => e.seq), all.slice(10).map((e) => e.seq),
      'the three younger than retention stay');
    assert.deepEqual(await prune.pass(never), { events: 0, processed: 0 });
    assert.equal(await ledger.markProcessed('usage-fold', old[0]!.id), true, 'the processed record went with its event');
  });
});
