// Two notifier processes over one outbox (distributed mode only): they split the deliveries
// between them — the bus hands each event to one of them, and the outbox claims are leased
// with FOR UPDATE SKIP LOCKED — and no delivery is made twice in normal operation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { NotificationReceiver, put, startSystem, testNothingEscaped, waitUntil, type E2ESystem } from '../src/index.js';

/** Deliveries this notifier process made, from its /metrics. */
async function deliveredBy(url: string, endpoint: string): Promise<number> {
  // Bounded, so a metrics endpoint that never answers fails here with its name, not as a test timeout.
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(30_000) })).text();
  const line = text.split('\n').find((l) => l.startsWith('s3o_notification_deliveries_total{') && l.includes(`endpoint="${endpoint}"`) && l.includes('outcome="delivered"'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('notifier replicas', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let receiver: NotificationReceiver;

  before(async () => {
    receiver = await NotificationReceiver.start();
    sys = await startSystem({
      mode: 'distributed',
      notifierReplicas: 2,
      overrides: {
        notifications: {
          poll_interval: '200ms',
          concurrency: 4,
          endpoints: [{ name: 'hook', url: `${receiver.url}/hook`, events: ['s3:ObjectCreated:*'], timeout: '30s' }],
        },
      },
    });
    s3 = sys.client();
  });
  after(async () => {
    await sys?.stop();
    await receiver?.stop();
  });

  test('two notifiers split the deliveries and make each once', { timeout: 300_000 }, async (t) => {
    const keys = Array.from({ length: 120 }, (_, i) => `split/${String(i).padStart(3, '0')}`);
    let next = 0;
    await Promise.all(Array.from({ length: 6 }, async () => {
      while (next < keys.length) {
        const key = keys[next++]!;
        await put(s3, { Bucket: sys.bucket.name, Key: key, Body: key });
      }
    }));
    const notifiers = sys.distributed!.service('notifier');
    assert.equal(notifiers.length, 2);
    // Done = every event's outbox row is gone (a notifier deletes it right after the receiver
    // answers) and both notifiers have counted what they delivered. After that nothing is
    // left to deliver, so what the receiver has is final: no sleep, then equality.
    const outboxRows = async () => Number((await sys.distributed!.ledger.query('SELECT count(*) AS n FROM notification_outbox')).rows[0].n);
    const settled = await waitUntil('every delivery made, counted and its outbox row gone', async () => {
      const counts = await Promise.all(notifiers.map((p) => deliveredBy(p.url, 'hook')));
      return { received: receiver.delivered('/hook').length, left: await outboxRows(), counts };
    }, (v) => v.received >= keys.length && v.left === 0 && v.counts[0]! + v.counts[1]! >= keys.length, { timeoutMs: 90_000 });
    const delivered = receiver.delivered('/hook');
    const ids = delivered.map((r) => String(r.headers['x-s3o-event-id']));
    assert.equal(delivered.length, keys.length, 'no delivery twice');
    assert.equal(new Set(ids).size, keys.length);
    const { counts } = settled;
    t.diagnostic(`deliveries per notifier: ${counts.join(', ')}`);
    assert.equal(counts[0]! + counts[1]!, keys.length);
    assert.ok(counts.every((n) => n > 0), `both notifiers should have delivered: ${counts.join(', ')}`);
  });

  testNothingEscaped(() => sys);
});
