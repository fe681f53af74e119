// Distributed mode only: a drain survives the placement service. The placement process is
// killed (SIGKILL) in the middle of a drain; while it is down the drain stays in force (the
// gateways keep new writes off the backend) and nothing moves; started again, it resumes
// from the ledger and the drain ends `drained` with every object readable and moved once.
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
  type ServiceProcess,
} from '../src/index.js';
import { ADMIN_AUTH_OVERRIDES, adminCall } from '../src/admin-calls.js';

const OBJECTS = 200;
const OBJECT_BYTES = 32 * KiB;

describe('distributed mode: a drain interrupted by a placement restart', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;
  let ledger: Ledger;
  let placement: ServiceProcess;
  const written = new Map<string, Buffer>();

  const drainOf = async () => (await adminCall(sys.url, 'GET', 'backends/b1/drain')).body;

  before(async () => {
    sys = await startSystem({
      mode: 'distributed',
      routing: 'pack',
      // One copy at a time, so the drain is still running when the placement service is killed.
      overrides: { ...ADMIN_AUTH_OVERRIDES, rebalance: { concurrency: 1 } },
    });
    placement = sys.distributed!.service('placement')[0]!;
    s3 = sys.client();
    bucket = sys.bucket.name;
    ledger = await openSystemLedger(sys);
    for (let i = 0; i < OBJECTS; i += 20) {
      await Promise.all(Array.from({ length: 20 }, async (_, j) => {
        const key = `restart/obj-${String(i + j).padStart(3, '0')}`;
        const body = patternBytes(OBJECT_BYTES, key);
        await put(s3, { Bucket: bucket, Key: key, Body: body });
        written.set(key, body);
      }));
    }
  });
  after(async () => {
    await ledger?.close();
    await sys?.stop();
  });

  test('the drain resumes after the placement service is killed and started again, and finishes', async () => {
    assert.equal((await adminCall(sys.url, 'POST', 'backends/b1/drain')).status, 202);
    await waitUntil('the drain to be under way', drainOf, (d) => d.objects_moved >= 10, { timeoutMs: 30_000, intervalMs: 50 });
    await placement.kill('SIGKILL');
    const atKill = await drainOf();
    assert.equal(atKill.state, 'draining');
    assert.ok(atKill.objects_moved < OBJECTS, 'the drain finished before the kill; nothing to resume');

    // While placement is down the drain still holds: new writes avoid b1, nothing moves.
    await put(s3, { Bucket: bucket, Key: 'restart/during-outage', Body: 'x' });
    written.set('restart/during-outage', Buffer.from('x'));
    const during = (await ledger.getObject(`${bucket}/restart/during-outage`))!.locations.map((l) => l.backendName);
    assert.ok(!during.includes('b1'));
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal((await drainOf()).objects_moved, atKill.objects_moved, 'copies moved with the placement service down');

    await placement.start();
    const done = await waitUntil('the drain to end', drainOf, (d) => d.state !== 'draining', { timeoutMs: 90_000, intervalMs: 200 });
    assert.equal(done.state, 'drained', JSON.stringify(done));
    assert.equal(done.objects_moved, OBJECTS, 'each copy counted once across the restart');
    assert.equal(done.remaining.copies, 0);
    for (const [key, body] of written) {
      assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(body), `${key} changed or unreadable`);
    }
    await waitUntil('b1 to be empty', () => listBackend(sys.backends[0]!, `${bucket}/`), (l) => l.length === 0, { timeoutMs: 30_000 });
  });

  testNothingEscaped(() => sys);
});
