// Issue 23 item 6: `admin verify` (GET /admin/api/verify) while clients write, overwrite,
// delete and upload in parts, while cleanup deletes what that owes and placement makes
// replicas. Every report taken during the load must be ok — writes, deletes and cleanups
// that run during a walk are not damage — and once the load settles, a real leak and a real
// missing copy planted behind the system's back are both found. (A report whose listing of a
// backend failed says so in `error` and is not counted as a checked one; it must not report
// damage either.) Runs in both modes, so
// verify is exercised on SQLite and on Postgres (test/distributed/ re-runs this file).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ADMIN_AUTH_OVERRIDES, adminCall } from '../src/admin-calls.js';
import {
  KiB,
  MiB,
  patternBytes,
  patternStream,
  put,
  startSystem,
  storedCopies,
  testNothingEscaped,
  waitUntil,
  type E2ESystem,
} from '../src/index.js';

const WORKERS = 4;
const ROUNDS = 12;
const MIN_VERIFIES = 4;

interface Report {
  ok: boolean;
  backends: Array<{ backend: string; ok: boolean; error: string | null; debts: number; open_intents: number; open_uploads: number;
    leaked: { count: number; keys: Array<{ storage_key: string }> }; missing: { count: number; keys: Array<{ storage_key: string }> } }>;
}

describe('admin verify under load', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    sys = await startSystem({
      routing: 'spread',
      overrides: {
        ...ADMIN_AUTH_OVERRIDES,
        // s3rver lists slowly on a loaded machine (it reads every object's metadata file).
        server: { backend_timeout: '30s' },
        replication: { factor: 2, worker_interval: '1s' },
        cleanup_queue: { tick: '200ms', backoff_base: '100ms', backoff_max: '1s' },
      },
    });
    s3 = sys.client(undefined, { maxAttempts: 1 });
    bucket = sys.bucket.name;
  });
  after(() => sys?.stop());

  const verify = async (): Promise<Report> => {
    const reply = await adminCall(sys.url, 'GET', 'verify');
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body as Report;
  };
  const debtsAndIntents = (r: Report) => r.backends.reduce((n, b) => n + b.debts + b.open_intents, 0);

  /** One worker's round: a PUT, an overwrite, a streamed PUT, a delete, and a multipart upload completed or aborted. */
  async function round(w: number, n: number): Promise<void> {
    const key = `load/${w}/${n % 4}`;
    await put(s3, { Bucket: bucket, Key: key, Body: patternBytes(32 * KiB + n, `${key}#${n}`) });
    await put(s3, { Bucket: bucket, Key: key, Body: patternBytes(48 * KiB + n, `${key}#${n}b`) });
    if (n % 3 === 0) {
      const big = `load/${w}/big`;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: big, Body: patternStream(9 * MiB, `${big}#${n}`), ContentLength: 9 * MiB }));
    }
    if (n % 2 === 1) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `load/${w}/${(n + 1) % 4}` }));
    if (n % 4 === 2) {
      const mp = `load/${w}/parts`;
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: mp }));
      const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: mp, UploadId, PartNumber: 1, Body: patternBytes(256 * KiB, `${mp}#${n}`) }));
      if (n % 8 === 2) {
        await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: mp, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] } }));
      } else {
        await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: mp, UploadId }));
      }
    }
  }

  test('every report taken while writes, deletes, replicas and cleanups run is ok', async (t) => {
    let running = true;
    const load = Promise.all(Array.from({ length: WORKERS }, async (_, w) => {
      for (let n = 0; n < ROUNDS; n++) await round(w, n);
    })).finally(() => {
      running = false;
    });
    let checked = 0;
    let unlisted = 0;
    let busy = 0;
    const damage: unknown[] = [];
    // Assertions wait for the load to end, so a failure never leaves it running into the next test.
    while (running || checked < MIN_VERIFIES) {
      const report = await verify();
      for (const b of report.backends) {
        if (b.leaked.count + b.missing.count > 0) damage.push({ report: checked + unlisted, backend: b.backend, leaked: b.leaked.keys, missing: b.missing.keys });
      }
      if (report.backends.some((b) => b.error !== null)) {
        unlisted++;
        continue;
      }
      checked++;
      if (debtsAndIntents(report) > 0) busy++;
    }
    await load;
    t.diagnostic(`${checked} verify reports during the load (${busy} with debts or intents in flight; ${unlisted} more could not list a backend in time)`);
    assert.deepEqual(damage, [], 'a report taken under load reported damage');
    assert.ok(busy > 0, 'some reports were taken while cleanups or writes were in flight (else the test proved little)');
  });

  test('once settled: ok, and a planted leak and a removed copy are both found', async () => {
    const settled = await waitUntil('the debts and intents to be worked off', verify, (r) => r.ok && debtsAndIntents(r) === 0, { timeoutMs: 60_000 });
    assert.equal(settled.ok, true);

    // Behind the system's back: bytes of our own form on b1 that nothing owes, and one copy's bytes removed.
    const b1 = sys.backends[0]!;
    const leakKey = `${bucket}/planted/leak!01ARZ3NDEKTSV4RRFFQ69G5FAV`;
    await b1.rawClient.send(new PutObjectCommand({ Bucket: b1.bucket, Key: leakKey, Body: 'nobody owes me' }));
    await put(s3, { Bucket: bucket, Key: 'planted/victim', Body: patternBytes(8 * KiB, 'victim') });
    await waitUntil('the victim to have two copies', () => storedCopies(sys.backends, bucket, 'planted/victim'), (c) => c.length === 2, { timeoutMs: 30_000 });
    const [victim] = await storedCopies(sys.backends, bucket, 'planted/victim');
    const holder = sys.backends.find((b) => b.name === victim!.backend)!;
    await holder.rawClient.send(new DeleteObjectCommand({ Bucket: holder.bucket, Key: victim!.storageKey }));

    const found = await verify();
    assert.equal(found.ok, false);
    const by = new Map(found.backends.map((b) => [b.backend, b]));
    assert.deepEqual(by.get('b1')!.leaked.keys.map((k) => k.storage_key), [leakKey]);
    assert.deepEqual(by.get(holder.name)!.missing.keys.map((k) => k.storage_key), [victim!.storageKey]);
    assert.equal(found.backends.reduce((n, b) => n + b.leaked.count + b.missing.count, 0), 2, 'nothing else is reported');

    // Put right again: the planted leak removed, the victim deleted (its missing copy's debt is a harmless no-op).
    await b1.rawClient.send(new DeleteObjectCommand({ Bucket: b1.bucket, Key: leakKey }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'planted/victim' }));
    await waitUntil('verify to be ok again', verify, (r) => r.ok && debtsAndIntents(r) === 0, { timeoutMs: 60_000 });
  });

  testNothingEscaped(() => sys);
});
