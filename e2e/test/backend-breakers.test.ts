// Backend circuit breakers with two copies of every object (replication.factor 2): while one
// backend hangs (SIGSTOP), every object stays readable, the breakers open (the placement
// service announces backend.circuit.opened), and with the breaker open new writes go to the
// other backends at once — no client error, and no failed attempt on the hung backend left
// behind as a debt. When the backend returns, the background probe closes the breakers
// (backend.circuit.closed) and writes go to it again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Ledger } from '@s3o/store';
import {
  getBytes,
  KiB,
  openSystemLedger,
  patternBytes,
  put,
  startSystem,
  testNothingEscaped,
  waitUntil,
  type E2ESystem,
  type RunningBackend,
} from '../src/index.js';

const OBJECTS = 12;

describe('backend circuit breakers', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;
  let ledger: Ledger;
  let b1: RunningBackend;
  const written = new Map<string, Buffer>();

  const copiesOf = async (key: string) =>
    ((await ledger.getObject(`${bucket}/${key}`))?.locations ?? []).filter((l) => l.state === 'ok').map((l) => l.backendName).sort();
  const circuitEvents = async () =>
    (await ledger.readEventsAfter(0, 100_000)).filter((e) => e.type.startsWith('backend.circuit.')).map((e) => `${e.type}:${e.resource}`);

  before(async () => {
    sys = await startSystem({
      routing: 'pack',
      overrides: {
        server: { backend_timeout: '1s' },
        replication: { factor: 2, worker_interval: '500ms' },
        backend_circuit_breaker: { enabled: true, failure_threshold: 2, open_timeout: '500ms' },
      },
    });
    // No SDK retries: each answer seen is the gateway's first.
    s3 = sys.client(undefined, { maxAttempts: 1 });
    bucket = sys.bucket.name;
    b1 = sys.backends[0]!;
    ledger = await openSystemLedger(sys);
    for (let i = 0; i < OBJECTS; i++) {
      const key = `breakers/before-${i}`;
      const body = patternBytes(64 * KiB, key);
      await put(s3, { Bucket: bucket, Key: key, Body: body });
      written.set(key, body);
    }
    for (const key of written.keys()) {
      await waitUntil(`${key} to have 2 copies`, () => copiesOf(key), (c) => c.length === 2, { timeoutMs: 15_000 });
    }
    assert.deepEqual(await copiesOf('breakers/before-0'), ['b1', 'b2']);
  });
  after(async () => {
    b1?.process.kill('SIGCONT');
    await ledger?.close();
    await sys?.stop();
  });

  test('with one backend hung, every object stays readable and the breaker opens', async () => {
    b1.process.kill('SIGSTOP');
    for (const [key, body] of written) {
      assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(body), `${key} unreadable with b1 hung`);
    }
    await waitUntil('backend.circuit.opened for b1', circuitEvents, (e) => e.includes('backend.circuit.opened:b1'), { timeoutMs: 15_000 });
  });

  test('with the breaker open, writes land on the other backends without client errors', async () => {
    // In distributed mode the writing gateway's own breaker learns of the hang from its own
    // calls: its first writes wait for the timeout and fail over.
    for (let i = 0; i < 3; i++) await put(s3, { Bucket: bucket, Key: `breakers/warm-up-${i}`, Body: `warm-up ${i}` });
    const keys: string[] = [];
    for (let i = 0; i < 10; i++) {
      const key = `breakers/while-open-${i}`;
      const body = patternBytes(16 * KiB, key);
      await put(s3, { Bucket: bucket, Key: key, Body: body });
      written.set(key, body);
      keys.push(key);
    }
    for (const key of keys) {
      assert.ok(!(await copiesOf(key)).includes('b1'), `${key} has a copy on the hung b1`);
      assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(written.get(key)!));
    }
    // A write that had tried b1 first would have left its failed attempt there as a debt.
    const triedB1 = (await ledger.listCleanup(null, 1000)).filter((d) => d.backendName === 'b1' && keys.some((k) => d.objectKey === `${bucket}/${k}`));
    assert.deepEqual(triedB1, [], 'a write tried the backend whose breaker is open');
  });

  test('when the backend returns, the probe closes the breaker and writes go to it again', async () => {
    b1.process.kill('SIGCONT');
    await waitUntil('backend.circuit.closed for b1', circuitEvents, (e) => e.includes('backend.circuit.closed:b1'), { timeoutMs: 15_000 });
    const events = (await circuitEvents()).filter((e) => e.endsWith(':b1'));
    assert.deepEqual(events, ['backend.circuit.opened:b1', 'backend.circuit.closed:b1'], 'each change announced once');
    let n = 0;
    await waitUntil('a new write to land on b1', async () => {
      const key = `breakers/after-${n++}`;
      await put(s3, { Bucket: bucket, Key: key, Body: key });
      return copiesOf(key);
    }, (c) => c.includes('b1'), { timeoutMs: 15_000, intervalMs: 250 });
    for (const [key, body] of written) assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(body), key);
  });

  testNothingEscaped(() => sys);
});
