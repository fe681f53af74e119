// A drain that cannot finish ends `failed` with its reason: here the only other backend has
// room for one of the five objects. What could move moved, nothing was lost, the failure is
// announced (backend.drain.failed), and the backend takes writes again.
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
} from '../src/index.js';
import { ADMIN_AUTH_OVERRIDES, adminCall } from '../src/admin-calls.js';

describe('a drain that cannot finish', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;
  let ledger: Ledger;
  const written = new Map<string, Buffer>();

  before(async () => {
    sys = await startSystem({ routing: 'pack', backends: [{}, { quota: 100_000 }], overrides: ADMIN_AUTH_OVERRIDES });
    s3 = sys.client();
    bucket = sys.bucket.name;
    ledger = await openSystemLedger(sys);
    for (let i = 0; i < 5; i++) {
      const key = `drain-failure/obj-${i}`;
      const body = patternBytes(64 * KiB, key);
      await put(s3, { Bucket: bucket, Key: key, Body: body });
      written.set(key, body);
    }
  });
  after(async () => {
    await ledger?.close();
    await sys?.stop();
  });

  test('ends failed with a reason, keeps what moved and loses nothing', async () => {
    assert.equal((await adminCall(sys.url, 'POST', 'backends/b1/drain')).status, 202);
    const done = await waitUntil('the drain to end', async () => (await adminCall(sys.url, 'GET', 'backends/b1/drain')).body,
      (d) => d.state !== 'draining', { timeoutMs: 120_000, intervalMs: 200 });
    assert.equal(done.state, 'failed');
    assert.match(done.last_error, /4 copies could not be moved after 3 passes; last error: no backend can take a copy/);
    assert.equal(done.objects_moved, 1);
    assert.equal(done.remaining.copies, 4);
    for (const [key, body] of written) assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(body), key);
    const events = (await ledger.readEventsAfter(0, 10_000)).filter((e) => e.type.startsWith('backend.drain.'));
    assert.deepEqual(events.map((e) => e.type), ['backend.drain.started', 'backend.drain.failed']);
    assert.equal(events[1]!.data.reason, done.last_error);

    await put(s3, { Bucket: bucket, Key: 'drain-failure/after', Body: 'after' });
    assert.deepEqual((await ledger.getObject(`${bucket}/drain-failure/after`))!.locations.map((l) => l.backendName), ['b1']);
  });

  testNothingEscaped(() => sys);
});
