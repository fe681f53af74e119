// The rules of degraded mode one by one: the "unreachable" classification the breaker
// counts, the breaker's states, which actions are refused while it is open, the location
// cache, and the guarded ledger over a real SQLite ledger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NoSuchUploadError, PreconditionFailedError, openLedger } from '@s3o/store';
import { S3Error } from '@s3o/s3';
import { portOutsideEphemeralRange } from '@s3o/demo-backends';
import { refuseWhileDegraded } from '../src/degraded/action-rules.js';
import { DatabaseBreaker, DatabaseUnavailableError } from '../src/degraded/database-breaker.js';
import { LocationCache } from '../src/degraded/location-cache.js';
import { guardLedger } from '../src/degraded/guarded-ledger.js';
import { isDatabaseUnreachable } from '../src/degraded/unreachable.js';
import { waitFor } from './support/gateway-harness.js';
import { switchableLedger } from './support/unreachable-ledger.js';

/** A real ECONNREFUSED: a connection to a loopback port nobody listens on. */
async function refusedConnection(): Promise<Error> {
  const port = await portOutsideEphemeralRange();
  return new Promise((resolve) => connect(port, '127.0.0.1').once('error', resolve));
}

function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

test('"unreachable" means the connection failed, never that the database answered', async () => {
  const refused = await refusedConnection();
  assert.equal((refused as { code?: string }).code, 'ECONNREFUSED');
  assert.equal(isDatabaseUnreachable(refused), true);
  // Drivers wrap the socket error (slonik: ConnectionError with the pg error as cause).
  class ConnectionError extends Error {}
  assert.equal(isDatabaseUnreachable(new ConnectionError('connect failed', { cause: refused })), true);
  assert.equal(isDatabaseUnreachable(new Error('query failed', { cause: new Error('Connection terminated unexpectedly') })), true);
  const sqlstate = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });
  assert.equal(isDatabaseUnreachable(sqlstate('57P01')), true, 'admin shutdown');
  assert.equal(isDatabaseUnreachable(sqlstate('08006')), true, 'connection failure');
  assert.equal(isDatabaseUnreachable(sqlstate('23505')), false, 'unique violation: the database answered');
  assert.equal(isDatabaseUnreachable(sqlstate('57014')), false, 'statement cancelled: the database answered');
  assert.equal(isDatabaseUnreachable(sqlstate('SQLITE_BUSY')), false, 'contention, not absence');
  assert.equal(isDatabaseUnreachable(new NoSuchUploadError('u1')), false);
  assert.equal(isDatabaseUnreachable(new PreconditionFailedError()), false);
  assert.equal(isDatabaseUnreachable(new Error('something else')), false);
});

test('the breaker opens after failure_threshold consecutive unreachable failures; answers in between reset the count', async () => {
  const refused = await refusedConnection();
  const changes: string[] = [];
  const breaker = new DatabaseBreaker({
    failureThreshold: 3, openTimeoutMs: 60_000, probe: async () => {}, onStateChange: (to) => changes.push(to),
  });
  try {
    const fail = () => breaker.call(async () => { throw refused; });
    await assert.rejects(fail(), DatabaseUnavailableError);
    await assert.rejects(fail(), DatabaseUnavailableError);
    // A business error is an answer: the database is there.
    await assert.rejects(breaker.call(async () => { throw new NoSuchUploadError('u'); }), NoSuchUploadError);
    await assert.rejects(fail(), DatabaseUnavailableError);
    await assert.rejects(fail(), DatabaseUnavailableError);
    assert.equal(breaker.state, 'closed');
    assert.equal(await breaker.call(async () => 'answered'), 'answered');
    await assert.rejects(fail(), DatabaseUnavailableError);
    await assert.rejects(fail(), DatabaseUnavailableError);
    assert.equal(breaker.state, 'closed');
    const third = await fail().catch((err: unknown) => err);
    assert.ok(third instanceof DatabaseUnavailableError);
    assert.equal(third.cause, refused, 'the driver error travels along');
    assert.equal(breaker.state, 'open');
    assert.deepEqual(changes, ['open']);
  } finally {
    breaker.stop();
  }
});

test('while open, calls fail at once; after open_timeout exactly one probe goes through and its answer closes the breaker', async () => {
  const refused = await refusedConnection();
  const clock = manualClock();
  const changes: string[] = [];
  const breaker = new DatabaseBreaker({
    failureThreshold: 1, openTimeoutMs: 10_000, probe: async () => {}, clock: clock.now, onStateChange: (to) => changes.push(to),
  });
  try {
    await assert.rejects(breaker.call(async () => { throw refused; }), DatabaseUnavailableError);
    let reached = 0;
    const reach = async () => {
      reached++;
      return 'ok';
    };
    clock.advance(9_999);
    await assert.rejects(breaker.call(reach), DatabaseUnavailableError);
    assert.equal(reached, 0, 'the database was not asked');

    clock.advance(1);
    let release!: () => void;
    const probe = breaker.call(() => new Promise<string>((resolve) => (release = () => resolve('probe answered'))));
    assert.equal(breaker.state, 'half-open');
    await assert.rejects(breaker.call(reach), DatabaseUnavailableError, 'one probe at a time');
    assert.equal(reached, 0);
    release();
    assert.equal(await probe, 'probe answered');
    assert.equal(breaker.state, 'closed');
    assert.equal(await breaker.call(reach), 'ok');
    assert.deepEqual(changes, ['open', 'closed']);
  } finally {
    breaker.stop();
  }
});

test('a probe that fails opens the breaker for another open_timeout; one the database answers with an error closes it', async () => {
  const refused = await refusedConnection();
  const clock = manualClock();
  const breaker = new DatabaseBreaker({ failureThreshold: 1, openTimeoutMs: 1_000, probe: async () => {}, clock: clock.now });
  try {
    await assert.rejects(breaker.call(async () => { throw refused; }), DatabaseUnavailableError);
    clock.advance(1_000);
    await assert.rejects(breaker.call(async () => { throw refused; }), DatabaseUnavailableError);
    assert.equal(breaker.state, 'open');
    clock.advance(999);
    await assert.rejects(breaker.call(async () => 'too early'), DatabaseUnavailableError);
    clock.advance(1);
    await assert.rejects(breaker.call(async () => { throw new PreconditionFailedError(); }), PreconditionFailedError);
    assert.equal(breaker.state, 'closed');
  } finally {
    breaker.stop();
  }
});

test('with no traffic the breaker sends its own probe, and keeps probing until the database answers', async () => {
  const refused = await refusedConnection();
  let reachable = false;
  let probes = 0;
  const breaker = new DatabaseBreaker({
    failureThreshold: 1,
    openTimeoutMs: 20,
    probe: async () => {
      probes++;
      if (!reachable) throw refused;
    },
  });
  try {
    await assert.rejects(breaker.call(async () => { throw refused; }), DatabaseUnavailableError);
    await waitFor('two failed background probes', () => probes >= 2);
    assert.equal(breaker.isClosed, false);
    reachable = true;
    await waitFor('the breaker to close', () => breaker.isClosed);
  } finally {
    breaker.stop();
  }
});

test('the guarded ledger: unreachable failures become DatabaseUnavailableError, answers and business errors pass through', async () => {
  const dir = await mkdtemp(join(tmpdir(), 's3o-guarded-ledger-'));
  const real = await openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db'), source: 'guard-test' });
  const db = switchableLedger(real);
  const breaker = new DatabaseBreaker({ failureThreshold: 2, openTimeoutMs: 60_000, probe: () => real.getQuotas() });
  const ledger = guardLedger(db.ledger, breaker);
  try {
    await ledger.syncBackends([{ name: 'b1', quotaBytes: 0 }]);
    assert.deepEqual((await ledger.getQuotas()).map((q) => q.backendName), ['b1']);
    await assert.rejects(ledger.claimPart('no-such-upload', 1, 10), NoSuchUploadError, 'a business error passes through untouched');

    db.reachable = false;
    await assert.rejects(ledger.getObject('b/k'), DatabaseUnavailableError);
    await assert.rejects(ledger.getQuotas(), DatabaseUnavailableError);
    assert.equal(breaker.state, 'open');
    await assert.rejects(ledger.listRange({ from: '', to: null, limit: 10 }), DatabaseUnavailableError);
    assert.equal(db.attemptsWhileUnreachable, 2, 'the open breaker kept the third call from the database');
  } finally {
    breaker.stop();
    await ledger.close(); // not guarded: closing always works
    await rm(dir, { recursive: true, force: true });
  }
});

test('while the breaker is open, actions that need the database are refused up front; reads and configuration answers are not', async () => {
  const refused = await refusedConnection();
  const breaker = new DatabaseBreaker({ failureThreshold: 1, openTimeoutMs: 60_000, probe: async () => {} });
  try {
    const verdict = (action: Parameters<typeof refuseWhileDegraded>[0]) => {
      try {
        refuseWhileDegraded(action, breaker);
        return 'admitted';
      } catch (err) {
        return err instanceof S3Error ? `${err.status} ${err.code}` : String(err);
      }
    };
    assert.equal(verdict('PutObject'), 'admitted', 'closed: everything goes');
    await assert.rejects(breaker.call(async () => { throw refused; }), DatabaseUnavailableError);
    for (const action of ['PutObject', 'CopyObject', 'DeleteObject', 'DeleteObjects', 'CreateMultipartUpload', 'UploadPart',
      'CompleteMultipartUpload', 'AbortMultipartUpload', 'ListObjects', 'ListObjectsV2', 'ListMultipartUploads', 'ListParts'] as const) {
      assert.equal(verdict(action), '503 ServiceUnavailable', action);
    }
    for (const action of ['GetObject', 'HeadObject', 'ListBuckets', 'HeadBucket', 'GetBucketLocation', 'GetBucketVersioning', 'CreateBucket'] as const) {
      assert.equal(verdict(action), 'admitted', action);
    }
  } finally {
    breaker.stop();
  }
});

test('the location cache forgets entries after cache_ttl, keeps at most its bound (oldest out first), and stores nothing with ttl 0', () => {
  let now = 0;
  const cache = new LocationCache(1_000, 2, () => now);
  const at = (backendName: string) => ({ backendName, storageKey: `bucket/key!${backendName}` });
  cache.set('a', at('b1'));
  now = 999;
  assert.deepEqual(cache.get('a'), at('b1'));
  now = 1_000;
  assert.equal(cache.get('a'), null);
  cache.set('a', at('b1'));
  cache.set('b', at('b2'));
  cache.set('c', at('b3'));
  assert.equal(cache.size, 2);
  assert.equal(cache.get('a'), null, 'the oldest entry made room');
  assert.deepEqual(cache.get('c'), at('b3'));
  cache.clear();
  assert.equal(cache.get('b'), null);
  const off = new LocationCache(0);
  off.set('a', at('b1'));
  assert.equal(off.get('a'), null);
});
