// Degraded mode with the gates a production gateway has: per-backend circuit breakers, usage
// limits and admission budgets, wired by the harness as a production process wires them. The
// database "goes away" as in degraded-mode.test.ts (test/support/unreachable-ledger.ts).
// A usage limit still refuses reads with SlowDown while the ledger is unreachable; writes
// refused for the outage hand their admission slots back; a backend breaker opened while the
// database was down still steers writes once it is back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { usagePeriod } from '@s3o/backends';
import { openLedger } from '@s3o/store';
import { BUCKET, failureOf, startGatewayHarness, waitFor, type GatewayHarness, type HarnessOptions } from './support/gateway-harness.js';
import { switchableLedger, type SwitchableLedger } from './support/unreachable-ledger.js';

async function withGateway(options: Omit<HarnessOptions, 'ledger'>, body: (h: GatewayHarness, db: SwitchableLedger) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 's3o-degraded-gates-'));
  const real = await openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db'), source: 'degraded-gates-test' });
  const db = switchableLedger(real);
  let h: GatewayHarness | null = null;
  try {
    h = await startGatewayHarness({ ...options, ledger: db.ledger });
    await body(h, db);
  } finally {
    await h?.close();
    await real.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const put = (h: GatewayHarness, key: string, body: string) => h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
const read = async (h: GatewayHarness, key: string) => (await h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();
const requestsOf = (h: GatewayHarness, backend: string) => h.usage.board.effective(backend, usagePeriod(Date.now())).requests;

test('a backend at its request limit serves no degraded read (503 SlowDown); an object on a backend under its limit is served', async () => {
  await withGateway({
    backends: 2,
    circuitBreaker: { failure_threshold: 1, open_timeout: '200ms', cache_ttl: '1h' },
    backendSettings: [{ api_request_limit: 3 }, {}],
  }, async (h, db) => {
    for (const key of ['a', 'b', 'c']) await put(h, key, `on b1: ${key}`);
    assert.equal(requestsOf(h, 'b1'), 3, 'b1 took three writes: its whole limit');
    await put(h, 'd', 'on b2');
    assert.ok((await h.storedKeys()).some((k) => k.startsWith('b2:') && k.includes('/d!')), 'the fourth write went to b2');
    // While the ledger answers, the limit already refuses reads of b1's only copies.
    assert.deepEqual(await failureOf(h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'a' }))), { status: 503, code: 'SlowDown' });

    db.reachable = false;
    assert.equal(await read(h, 'd'), 'on b2', 'found on the backends and served from b2');
    assert.equal(await h.health(), 'degraded');
    // Found on b1 by the degraded lookup, but b1 may not serve it: the limit, not the outage, answers.
    assert.deepEqual(await failureOf(h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'a' }))), { status: 503, code: 'SlowDown' });

    db.reachable = true;
    await waitFor('the database breaker to close', async () => (await h.health()) === 'ok');
    assert.deepEqual(await failureOf(h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'b' }))), { status: 503, code: 'SlowDown' });
    assert.equal(await read(h, 'd'), 'on b2');
  });
});

test('writes refused for the outage give their admission slots back: reads and, once the database is back, writes are admitted', async () => {
  await withGateway({
    circuitBreaker: { failure_threshold: 1, open_timeout: '200ms' },
    // A wait longer than the test: a request refused for want of a slot would be a leaked one.
    server: { max_concurrent_requests: 2, max_concurrent_writes: 1, admission_wait: '10m' },
  }, async (h, db) => {
    await put(h, 'kept', 'written before');
    db.reachable = false;
    for (let i = 0; i < 10; i++) {
      assert.deepEqual(await failureOf(put(h, `refused-${i}`, 'x'.repeat(1000))), { status: 503, code: 'ServiceUnavailable' }, `write ${i}`);
    }
    assert.equal(h.admission.requests.inUse, 0, 'no request slot held after the refusals');
    assert.equal(h.admission.writes.inUse, 0, 'no write slot held after the refusals');
    // Three reads at once against two request slots: admitted one after another, none shed.
    assert.deepEqual(await Promise.all([1, 2, 3].map(() => read(h, 'kept'))), ['written before', 'written before', 'written before']);

    db.reachable = true;
    await waitFor('the database breaker to close', async () => (await h.health()) === 'ok');
    await put(h, 'after', 'written after');
    assert.equal(await read(h, 'after'), 'written after');
    assert.equal(h.admission.requests.inUse, 0);
  });
});

test('a backend breaker opened by failed degraded lookups on a dead backend still steers writes once the database is back', async () => {
  await withGateway({
    backends: 2,
    routing: 'spread',
    circuitBreaker: { failure_threshold: 1, open_timeout: '100ms', cache_ttl: '1h' },
    backendCircuitBreaker: { enabled: true, failure_threshold: 2, open_timeout: '1h' },
  }, async (h, db) => {
    await put(h, 'first', 'one');
    await put(h, 'second', 'two');
    const onB1 = (await h.storedKeys()).filter((k) => k.startsWith('b1:')).map((k) => k.slice(k.lastIndexOf('/') + 1, k.indexOf('!')));
    const onB2 = ['first', 'second'].filter((k) => !onB1.includes(k));
    assert.equal(onB1.length, 1, 'spread put one object on each backend');
    db.reachable = false;
    assert.equal(await read(h, onB2[0]!), onB2[0] === 'first' ? 'one' : 'two', 'remembered where it is');
    await h.backends[0]!.process.stop();
    // Degraded lookups fail on the dead b1: each failure counts towards its breaker.
    for (let i = 0; i < 2; i++) assert.equal((await failureOf(h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: onB1[0]! })))).status, 503);
    assert.equal(h.breakers!.state('b1'), 'open', 'the failed degraded lookups opened b1\'s breaker');

    db.reachable = true;
    await waitFor('the database breaker to close', async () => (await h.health()) === 'ok');
    // b1 is open (refused for writes): a new object goes to b2 at once, no attempt on dead b1.
    await put(h, 'third', 'three');
    assert.deepEqual((await db.ledger.getObject(`${BUCKET}/third`))!.locations.map((l) => l.backendName), ['b2']);
    assert.equal(await read(h, 'third'), 'three');
    assert.equal(h.breakers!.state('b1'), 'open');
  });
});
