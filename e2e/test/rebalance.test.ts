// The rebalancer (rebalance.*) moves copies toward its strategy without losing any: `spread`
// evens out the utilisation of backends with quotas until it is within the threshold, `pack`
// gathers copies on the backends listed first. Every object keeps exactly its one copy and
// its bytes, and the moved-away bytes are deleted from the source backends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Ledger } from '@s3o/store';
import {
  getBytes,
  KiB,
  listBackend,
  openSystemLedger,
  patternBytes,
  put,
  startSystem,
  testNothingEscaped,
  waitUntil,
  type E2ESystem,
} from '../src/index.js';

const OBJECT_BYTES = 64 * KiB;
const QUOTA = 2_000_000;
const THRESHOLD = 0.1;

interface Fixture {
  sys: E2ESystem;
  s3: S3Client;
  ledger: Ledger;
  written: Map<string, Buffer>;
}

async function fixture(routing: 'pack' | 'spread', strategy: 'pack' | 'spread', quota: number, objects: number): Promise<Fixture> {
  const sys = await startSystem({
    routing,
    backends: [{ quota }, { quota }, { quota }],
    overrides: { rebalance: { enabled: true, strategy, interval: '1s', batch_size: 8, threshold: String(THRESHOLD), concurrency: 3 } },
  });
  const s3 = sys.client();
  const ledger = await openSystemLedger(sys);
  const written = new Map<string, Buffer>();
  for (let i = 0; i < objects; i++) {
    const key = `rebalance/obj-${String(i).padStart(2, '0')}`;
    const body = patternBytes(OBJECT_BYTES, key);
    await put(s3, { Bucket: sys.bucket.name, Key: key, Body: body });
    written.set(key, body);
  }
  return { sys, s3, ledger, written };
}

/** Every object readable with its bytes and exactly one copy; returns copies per backend. */
async function checkObjects(f: Fixture): Promise<Map<string, number>> {
  const perBackend = new Map<string, number>();
  for (const [key, body] of f.written) {
    assert.ok((await getBytes(f.s3, { Bucket: f.sys.bucket.name, Key: key })).body.equals(body), `${key} changed or unreadable`);
    const locations = (await f.ledger.getObject(`${f.sys.bucket.name}/${key}`))!.locations;
    assert.equal(locations.length, 1, `${key} has ${locations.length} copies`);
    perBackend.set(locations[0]!.backendName, (perBackend.get(locations[0]!.backendName) ?? 0) + 1);
  }
  return perBackend;
}

async function storedObjects(f: Fixture): Promise<number> {
  const lists = await Promise.all(f.sys.backends.map((b) => listBackend(b, `${f.sys.bucket.name}/`)));
  return lists.flat().length;
}

describe('rebalancing: spread', () => {
  let f: Fixture;
  before(async () => {
    // pack routing puts all 20 objects (1.3 MB, 65 % of a 2 MB quota) on b1.
    f = await fixture('pack', 'spread', QUOTA, 20);
  });
  after(async () => {
    await f?.ledger.close();
    await f?.sys.stop();
  });

  test('utilisation evens out to within the threshold, and no object is lost', async () => {
    const spreadOf = async () => {
      const used = (await f.ledger.getQuotas()).map((q) => q.bytesUsed / q.bytesLimit);
      return Math.max(...used) - Math.min(...used);
    };
    // Every object was written to b1 (pack routing); the rebalancer may have started since.
    const created = (await f.ledger.readEventsAfter(0, 100_000)).filter((e) => e.type === 'object.created');
    assert.deepEqual(new Set(created.map((e) => (e.data.copies as Array<{ backend: string }>)[0]!.backend)), new Set(['b1']));
    await waitUntil('utilisation within the threshold', spreadOf, (s) => s <= THRESHOLD, { timeoutMs: 30_000, intervalMs: 200 });
    const perBackend = await checkObjects(f);
    assert.equal([...perBackend.values()].reduce((a, b) => a + b, 0), 20);
    assert.ok((perBackend.get('b2') ?? 0) > 0 && (perBackend.get('b3') ?? 0) > 0, JSON.stringify([...perBackend]));
    await waitUntil('moved-away bytes to be deleted', () => storedObjects(f), (n) => n === 20, { timeoutMs: 20_000 });
    const moved = (await f.ledger.readEventsAfter(0, 100_000)).filter((e) => e.type === 'object.moved');
    assert.ok(moved.length > 0 && moved.every((e) => e.data.reason === 'rebalance'));
  });

  testNothingEscaped(() => f.sys);
});

describe('rebalancing: pack', () => {
  let f: Fixture;
  before(async () => {
    // spread routing puts the objects on all three backends. The rebalancer runs from the
    // start and may have gathered some already, so the starting layout is read from where
    // each write landed (its object.created event), not from the ledger's current copies.
    f = await fixture('spread', 'pack', 0, 15);
    const created = (await f.ledger.readEventsAfter(0, 100_000)).filter((e) => e.type === 'object.created');
    const landed = new Set(created.map((e) => (e.data.copies as Array<{ backend: string }>)[0]!.backend));
    assert.equal(created.length, 15);
    assert.deepEqual([...landed].sort(), ['b1', 'b2', 'b3'], 'spread routing wrote to every backend');
  });
  after(async () => {
    await f?.ledger.close();
    await f?.sys.stop();
  });

  test('copies gather on the first backend, in batches, and no object is lost', async () => {
    await waitUntil('every copy on b1', () => f.ledger.drains.countBackendRecords('b1'), (c) => c.copies === 15, { timeoutMs: 30_000, intervalMs: 200 });
    const perBackend = await checkObjects(f);
    assert.deepEqual([...perBackend], [['b1', 15]]);
    await waitUntil('moved-away bytes to be deleted', () => storedObjects(f), (n) => n === 15, { timeoutMs: 20_000 });
  });

  testNothingEscaped(() => f.sys);
});
