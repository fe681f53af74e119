// The notification outbox part of the Ledger contract: the notifier's enqueue (processed
// event + deliveries in one transaction), claims with a lease, per key and endpoint
// sequencer order, retries, dead rows and their requeue.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Ledger, NewNotification, NotificationRow } from '../src/index.js';
import type { WithLedger } from './contract-helpers.js';

const CONSUMER = 'notifier-test';

function delivery(endpoint: string, objectKey: string | null, sequencer: string, payload = `{"seq":"${sequencer}"}`): NewNotification {
  return { endpoint, objectKey, sequencer, payload };
}

const summary = (rows: NotificationRow[]) => rows.map((r) => `${r.endpoint}:${r.objectKey ?? '-'}:${r.sequencer}`);

async function claimAll(ledger: Ledger, leaseMs = 60_000): Promise<NotificationRow[]> {
  return ledger.notifications.claim(100, leaseMs);
}

export function describeNotificationContract(withLedger: WithLedger): void {
  describe('notification outbox', () => {
    test('enqueue writes one row per delivery with the exact payload; a redelivered event adds nothing', () =>
      withLedger(async (ledger, clock) => {
        const payload = '{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":{"key":"a+b"}}}],  "x": 1}';
        assert.equal(await ledger.notifications.enqueue(CONSUMER, 'ev1', [
          delivery('hook', 'bk/a', '01', payload), delivery('bus', 'bk/a', '01'),
        ]), true);
        assert.equal(await ledger.notifications.enqueue(CONSUMER, 'ev1', [delivery('hook', 'bk/a', '01'), delivery('third', 'bk/a', '01')]), false);
        // Another consumer's record of the same event is its own.
        assert.equal(await ledger.markProcessed('someone-else', 'ev1'), true);
        const rows = await claimAll(ledger);
        assert.deepEqual(rows.map((r) => r.endpoint).sort(), ['bus', 'hook']);
        const hook = rows.find((r) => r.endpoint === 'hook')!;
        assert.equal(hook.payload, payload, 'the stored bytes are the bytes to sign');
        assert.equal(hook.eventId, 'ev1');
        assert.equal(hook.attempts, 0);
        assert.equal(hook.state, 'pending');
        assert.equal(hook.createdAt, clock.now);
        assert.equal(await ledger.notifications.depth('pending'), 2);
      }));

    test('a claimed row is leased: not claimed again until the lease runs out', () =>
      withLedger(async (ledger, clock) => {
        await ledger.notifications.enqueue(CONSUMER, 'ev1', [delivery('hook', null, '01')]);
        assert.equal((await claimAll(ledger, 1000)).length, 1);
        assert.equal((await claimAll(ledger, 1000)).length, 0);
        clock.now += 999;
        assert.equal((await claimAll(ledger, 1000)).length, 0);
        clock.now += 1;
        assert.equal((await claimAll(ledger, 1000)).length, 1, 'an expired lease (a crashed notifier) frees the row');
      }));

    test('a key\'s rows for an endpoint are claimable one at a time, in sequencer order', () =>
      withLedger(async (ledger) => {
        // Enqueued out of order (events can reach the notifier out of order).
        await ledger.notifications.enqueue(CONSUMER, 'e3', [delivery('hook', 'bk/a', '0003'), delivery('other', 'bk/a', '0003')]);
        await ledger.notifications.enqueue(CONSUMER, 'e1', [delivery('hook', 'bk/a', '0001')]);
        await ledger.notifications.enqueue(CONSUMER, 'e2', [delivery('hook', 'bk/a', '0002'), delivery('hook-b', 'bk/b', '0002')]);
        await ledger.notifications.enqueue(CONSUMER, 'op1', [delivery('hook', null, '0004')]);
        await ledger.notifications.enqueue(CONSUMER, 'op2', [delivery('hook', null, '0005')]);
        let claimed = await claimAll(ledger);
        assert.deepEqual(summary(claimed).sort(), ['hook-b:bk/b:0002', 'hook:-:0004', 'hook:-:0005', 'hook:bk/a:0001', 'other:bk/a:0003'].sort());
        // A failed earlier row still holds the later ones back (it is pending).
        const first = claimed.find((r) => r.sequencer === '0001')!;
        await ledger.notifications.failed(first.id, 'HTTP 500', 0);
        claimed = await claimAll(ledger);
        assert.deepEqual(summary(claimed), ['hook:bk/a:0001']);
        assert.equal(claimed[0]!.attempts, 1);
        assert.equal(claimed[0]!.lastError, 'HTTP 500');
        await ledger.notifications.delivered(claimed[0]!.id);
        claimed = await claimAll(ledger);
        assert.deepEqual(summary(claimed), ['hook:bk/a:0002']);
        // A dead row does not hold its key back.
        await ledger.notifications.dead(claimed[0]!.id, 'gave up');
        assert.deepEqual(summary(await claimAll(ledger)), ['hook:bk/a:0003']);
      }));

    test('a failed row is due again at its next retry', () =>
      withLedger(async (ledger, clock) => {
        await ledger.notifications.enqueue(CONSUMER, 'ev1', [delivery('hook', 'bk/a', '01')]);
        const [row] = await claimAll(ledger);
        await ledger.notifications.failed(row!.id, 'timeout', clock.now + 5000);
        assert.equal((await claimAll(ledger)).length, 0);
        clock.now += 5000;
        const [again] = await claimAll(ledger);
        assert.equal(again!.id, row!.id);
        assert.equal(again!.nextRetry, clock.now);
      }));

    test('dead rows are listed by id, paged, counted and requeued (some or all) as due now with attempts 0', () =>
      withLedger(async (ledger, clock) => {
        for (let i = 1; i <= 3; i++) await ledger.notifications.enqueue(CONSUMER, `ev${i}`, [delivery('hook', `bk/${i}`, `0${i}`)]);
        for (const row of await claimAll(ledger)) {
          await ledger.notifications.failed(row.id, 'first', clock.now);
        }
        for (const row of await claimAll(ledger)) await ledger.notifications.dead(row.id, `final ${row.sequencer}`);
        assert.equal(await ledger.notifications.depth('dead'), 3);
        assert.equal(await ledger.notifications.depth('pending'), 0);
        const page1 = await ledger.notifications.listDead(null, 2);
        const page2 = await ledger.notifications.listDead(page1.at(-1)!.id, 2);
        assert.deepEqual([...page1, ...page2].map((r) => r.sequencer), ['01', '02', '03']);
        assert.deepEqual(page1.map((r) => [r.state, r.attempts, r.lastError]), [['dead', 2, 'final 01'], ['dead', 2, 'final 02']]);
        assert.equal((await claimAll(ledger)).length, 0, 'dead rows are not delivered');

        clock.now += 10_000;
        assert.equal(await ledger.notifications.requeueDead([page1[1]!.id, 999_999]), 1);
        const [requeued] = await claimAll(ledger);
        assert.deepEqual([requeued!.sequencer, requeued!.attempts, requeued!.state, requeued!.nextRetry], ['02', 0, 'pending', clock.now]);
        assert.equal(await ledger.notifications.requeueDead(null), 2);
        assert.equal(await ledger.notifications.depth('dead'), 0);
        assert.equal(await ledger.notifications.requeueDead([]), 0);
      }));
  });
}
