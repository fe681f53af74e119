// Usage metering, the board of totals, the limits gate and the concurrency budgets, over a
// real BackendClient talking to a real S3 server (s3rver).
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import {
  BackendAvailability, BackendClient, ConcurrencyBudget, ProcessAdmission, UsageBoard, UsageFlusher, UsageLimitGate, UsageMeter,
  passedLimit, usagePeriod, type SentDelta, type UsageLimits,
} from '../src/index.js';
import { makeTempDir, readAll } from './helpers.js';

const NONE: UsageLimits = { apiRequests: 0, egressBytes: 0, ingressBytes: 0 };

describe('usage metering', () => {
  let s3: S3rverProcess;
  let storage: { dir: string; remove(): Promise<void> };
  let client: BackendClient;

  before(async () => {
    storage = await makeTempDir('s3o-usage-');
    s3 = await startS3rver({ dir: storage.dir, buckets: ['b1'] });
    client = new BackendClient({
      name: 'm1', endpoint: s3.endpoint, region: 'us-east-1', bucket: 'b1',
      accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true, timeoutMs: 10_000,
    });
  });
  after(async () => {
    client.close();
    await s3.stop();
    await storage.remove();
  });

  it('counts every call as a request, body bytes sent as ingress and received as egress, failures included', async () => {
    const meter = new UsageMeter();
    const remove = client.observe(meter);
    try {
      const body = Buffer.alloc(3000, 7);
      await client.putObject('k', Readable.from([body]), { contentLength: body.length });
      const got = await client.getObject('k');
      assert.equal((await readAll(got.body)).length, 3000);
      const ranged = await client.getObject('k', { range: 'bytes=0-99' });
      assert.equal((await readAll(ranged.body)).length, 100);
      assert.equal(await client.headObject('absent'), null);
      await client.deleteObject('k');
      const taken = meter.take();
      assert.deepEqual(taken, [{ backend: 'm1', period: usagePeriod(Date.now()), requests: 5, egress: 3100, ingress: 3000 }]);
      assert.deepEqual(meter.take(), [], 'a take empties the meter');
    } finally {
      remove();
    }
  });

  it('restored counts are taken again with the next ones', () => {
    const meter = new UsageMeter(() => Date.UTC(2026, 10, 30, 23, 59));
    const end = meter.start({ backend: 'x', operation: 'GetObject', method: 'GET', ingressBytes: 0 });
    const first = meter.take();
    // The call's egress arrives after the take: it belongs to the next delta, same month.
    end({ status: 200, cutShort: false, durationMs: 1, egressBytes: 10 });
    meter.restore(first);
    assert.deepEqual(meter.take(), [{ backend: 'x', period: '2026-11', requests: 1, egress: 10, ingress: 0 }]);
  });
});

describe('usage board', () => {
  it('effective = published + sent-not-folded + metered; a published total naming a delta ends its counting', () => {
    const meter = new UsageMeter(() => Date.UTC(2026, 10, 5));
    let now = 1000;
    const board = new UsageBoard(meter, { unconfirmedTtlMs: 5000, clock: () => now });
    board.applyPublished({ backend: 'a', period: '2026-11', requests: 100, egress: 10, ingress: 1, deltaId: '' });
    meter.start({ backend: 'a', operation: 'PutObject', method: 'PUT', ingressBytes: 50 });
    assert.deepEqual(board.effective('a', '2026-11'), { requests: 101, egress: 10, ingress: 51 });
    const [sent] = board.takeDeltas();
    meter.start({ backend: 'a', operation: 'PutObject', method: 'PUT', ingressBytes: 5 });
    assert.deepEqual(board.effective('a', '2026-11'), { requests: 102, egress: 10, ingress: 56 }, 'sent deltas still count');
    // The fold of that delta is published: the total now contains it.
    board.applyPublished({ backend: 'a', period: '2026-11', requests: 101, egress: 10, ingress: 51, deltaId: sent!.deltaId });
    assert.deepEqual(board.effective('a', '2026-11'), { requests: 102, egress: 10, ingress: 56 });
    assert.equal(board.unconfirmedCount, 0);
    // An older total arriving late changes nothing (totals only grow).
    board.applyPublished({ backend: 'a', period: '2026-11', requests: 100, egress: 10, ingress: 1, deltaId: '' });
    assert.deepEqual(board.effective('a', '2026-11'), { requests: 102, egress: 10, ingress: 56 });
    // A delta never seen folded stops counting after the TTL.
    board.takeDeltas();
    assert.equal(board.unconfirmedCount, 1);
    now += 6000;
    assert.deepEqual(board.effective('a', '2026-11'), { requests: 101, egress: 10, ingress: 51 });
  });

  it('deltas that could not be published go back to the meter', () => {
    const meter = new UsageMeter();
    const board = new UsageBoard(meter, { unconfirmedTtlMs: 60_000 });
    meter.start({ backend: 'a', operation: 'PutObject', method: 'PUT', ingressBytes: 9 });
    const deltas = board.takeDeltas();
    board.returnDeltas(deltas);
    assert.equal(board.unconfirmedCount, 0);
    assert.deepEqual(meter.take().map((u) => [u.requests, u.ingress]), [[1, 9]]);
  });
});

describe('usage limits', () => {
  it('writes check requests and ingress, reads requests and egress; at a limit nothing more goes', () => {
    const limits: UsageLimits = { apiRequests: 10, egressBytes: 1000, ingressBytes: 500 };
    assert.equal(passedLimit(limits, { requests: 9, egress: 0, ingress: 0 }, 'write', 0), null);
    assert.equal(passedLimit(limits, { requests: 10, egress: 0, ingress: 0 }, 'read', 0), 'api_requests');
    assert.equal(passedLimit(limits, { requests: 0, egress: 0, ingress: 400 }, 'write', 100), null);
    assert.equal(passedLimit(limits, { requests: 0, egress: 0, ingress: 400 }, 'write', 101), 'ingress_bytes');
    assert.equal(passedLimit(limits, { requests: 0, egress: 0, ingress: 500 }, 'write', 0), 'ingress_bytes');
    assert.equal(passedLimit(limits, { requests: 0, egress: 0, ingress: 500 }, 'read', 0), null, 'ingress does not limit reads');
    assert.equal(passedLimit(limits, { requests: 0, egress: 999, ingress: 0 }, 'read', 0), null);
    assert.equal(passedLimit(limits, { requests: 0, egress: 1000, ingress: 0 }, 'read', 0), 'egress_bytes');
    assert.equal(passedLimit(limits, { requests: 0, egress: 1000, ingress: 0 }, 'write', 0), null, 'egress does not limit writes');
    assert.equal(passedLimit(NONE, { requests: 1e12, egress: 1e15, ingress: 1e15 }, 'write', 1e9), null, '0 = unlimited');
  });

  it('the gate refuses hard: 507 InsufficientStorage for writes, 503 SlowDown for reads', () => {
    const meter = new UsageMeter();
    const board = new UsageBoard(meter, { unconfirmedTtlMs: 60_000 });
    const refused: string[] = [];
    const availability = new BackendAvailability();
    availability.addGate(new UsageLimitGate(board, new Map([['a', { apiRequests: 2, egressBytes: 0, ingressBytes: 0 }], ['b', NONE]]), {
      onRefusal: (backend, use, limit) => refused.push(`${backend}/${use}/${limit}`),
    }));
    for (let i = 0; i < 2; i++) meter.start({ backend: 'a', operation: 'PutObject', method: 'PUT', ingressBytes: 1 });
    const write = availability.arrange(['a', 'b'], 'write', 1);
    assert.deepEqual(write.usable, ['b']);
    assert.deepEqual(write.refusals.map((r) => [r.s3Code, r.soft]), [['InsufficientStorage', false]]);
    const read = availability.arrange(['a'], 'read', 0, true);
    assert.deepEqual(read.usable, [], 'a hard refusal is not kept even for reads that keep soft ones');
    assert.equal(read.refusals[0]!.s3Code, 'SlowDown');
    assert.deepEqual(refused, ['a/write/api_requests', 'a/read/api_requests']);
  });

  it('the flusher publishes one delta per backend per interval, faster near a limit, and flushes on stop', async () => {
    const meter = new UsageMeter();
    const board = new UsageBoard(meter, { unconfirmedTtlMs: 60_000 });
    const limits = new Map([['a', { apiRequests: 10, egressBytes: 0, ingressBytes: 0 }]]);
    const published: SentDelta[][] = [];
    let failNext = true;
    const flusher = new UsageFlusher({
      board, limits, intervalMs: 60_000, adaptive: { threshold: 0.5, fastIntervalMs: 20 },
      publish: async (deltas) => {
        if (failNext) {
          failNext = false;
          throw new Error('database unavailable');
        }
        published.push(deltas);
      },
      onError: () => {},
    });
    assert.equal(flusher.nextIntervalMs(), 60_000);
    for (let i = 0; i < 5; i++) meter.start({ backend: 'a', operation: 'PutObject', method: 'PUT', ingressBytes: 2 });
    meter.start({ backend: 'b', operation: 'GetObject', method: 'GET', ingressBytes: 0 });
    assert.equal(flusher.nextIntervalMs(), 20, 'a is at half its request limit');
    flusher.start();
    // The first publish fails; the counts go back and the next one (20 ms later) carries them.
    const deadline = Date.now() + 5000;
    while (published.length === 0 && Date.now() < deadline) await sleep(10);
    meter.start({ backend: 'a', operation: 'PutObject', method: 'PUT', ingressBytes: 3 });
    await flusher.stop();
    const all = published.flat();
    assert.deepEqual(all.filter((d) => d.backend === 'a').reduce((n, d) => n + d.requests, 0), 6);
    assert.deepEqual(all.filter((d) => d.backend === 'a').reduce((n, d) => n + d.ingress, 0), 13);
    assert.deepEqual(all.filter((d) => d.backend === 'b').map((d) => d.requests), [1]);
    assert.equal(new Set(all.map((d) => d.deltaId)).size, all.length, 'every delta has its own id');
    assert.equal(published[0]!.length, 2, 'one delta per backend in a flush');
  });
});

describe('concurrency budgets', () => {
  it('hands slots out first come, first served, and waits at most as long as asked', async () => {
    const budget = new ConcurrencyBudget(2);
    const a = budget.tryAcquire()!;
    const b = budget.tryAcquire()!;
    assert.equal(budget.tryAcquire(), null);
    assert.equal(await budget.acquire(30), null, 'no slot within 30 ms');
    const order: string[] = [];
    const first = budget.acquire(5000).then((r) => (order.push('first'), r));
    const second = budget.acquire(5000).then((r) => (order.push('second'), r));
    assert.equal(budget.tryAcquire(), null, 'nobody jumps the queue');
    a();
    a();
    const r1 = await first;
    b();
    const r2 = await second;
    assert.deepEqual(order, ['first', 'second']);
    assert.equal(budget.inUse, 2);
    r1!();
    r2!();
    assert.equal(budget.inUse, 0);
    assert.equal(new ConcurrencyBudget(0).tryAcquire() !== null, true, '0 = unlimited');
  });

  it('background writes wait for a write slot however long it takes, and count against the budget', async () => {
    const admission = new ProcessAdmission({ maxConcurrentRequests: 0, maxConcurrentReads: 0, maxConcurrentWrites: 1 });
    const http = admission.writes.tryAcquire()!;
    let got = false;
    const background = admission.backgroundWrite().then((r) => ((got = true), r));
    await sleep(50);
    assert.equal(got, false);
    http();
    const release = await background;
    assert.equal(admission.writes.inUse, 1);
    assert.equal(admission.writes.tryAcquire(), null, 'an HTTP write now finds the budget taken');
    release!();
    const gone = new AbortController();
    const blocker = admission.writes.tryAcquire()!;
    const aborted = admission.backgroundWrite(gone.signal);
    gone.abort();
    assert.equal(await aborted, null);
    blocker();
    assert.equal(admission.writes.inUse, 0);
  });
});
