// Issue 5 item 6: a backend that cannot delete for a while. Deletes through the gateway are
// ledger transactions (204 at once); the bytes become cleanup debts that wait, with backoff,
// while the backend hangs (s3rver SIGSTOPped, so every call runs into server.backend_timeout),
// and are paid once it answers again: queue back to 0, quota counters exact, verify clean.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import { adminVerify } from './crash-support/admin-verify.js';
import { contentSha256, contentStream, streamSha256 } from './crash-support/content.js';
import { BACKEND_BUCKET, BUCKET, s3Client, writeCrashConfig } from './crash-support/crash-config.js';
import { readLedger } from './crash-support/ledger.js';
import { killServe, startServe, type ServeProcess } from './crash-support/orchestrator-process.js';
import { waitUntil } from './crash-support/wait-until.js';

const SIZE = 256 * 1024;
const KEPT = ['keep/a', 'keep/b'];
const DELETED = ['gone/1', 'gone/2', 'gone/3', 'gone/4', 'gone/5'];

describe('a backend that refuses deletes for a while', () => {
  let dir: string;
  let s3rver: S3rverProcess | undefined;
  let serve: ServeProcess | undefined;
  let client: S3Client | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 's3o-crash-deletes-'));
  });
  after(async () => {
    client?.destroy();
    await killServe(serve);
    await s3rver?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('debts wait while the backend hangs and are paid once it is back', { timeout: 90_000 }, async (t) => {
    s3rver = await startS3rver({ dir: join(dir, 's3rver'), buckets: [BACKEND_BUCKET], port: 0 });
    const { configPath, dbPath } = await writeCrashConfig(dir, [{ name: 'b1', endpoint: s3rver.endpoint }], { backend_timeout: '1s' });
    serve = await startServe(configPath);
    const s3 = s3Client(serve.url);
    client = s3;

    for (const key of [...KEPT, ...DELETED]) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: contentStream(key, SIZE), ContentLength: SIZE }));
    }
    assert.equal(readLedger(dbPath).quotas[0]!.bytes_used, (KEPT.length + DELETED.length) * SIZE);

    s3rver.kill('SIGSTOP');
    try {
      for (const key of DELETED) {
        const answer = await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
        assert.equal(answer.$metadata.httpStatusCode, 204, key);
      }
      const owed = readLedger(dbPath);
      t.diagnostic(`while the backend hangs: ${owed.cleanupQueue} owed deletions, orphan_bytes ${owed.quotas[0]!.orphan_bytes}`);
      // Per deleted key: its bytes, and its delete marker — the hung backend never answered the
      // marker PUT, which may land yet, so that key is owed too (in doubt, 0 bytes).
      assert.equal(owed.cleanupQueue, 2 * DELETED.length);
      assert.equal(owed.quotas[0]!.orphan_bytes, DELETED.length * SIZE);
      assert.equal(owed.quotas[0]!.bytes_used, KEPT.length * SIZE);

      // The cleanup worker must have tried and failed (attempts recorded), and the debts are still owed.
      const tried = await waitUntil(
        'cleanup attempts against the hung backend',
        () => readLedger(dbPath),
        (l) => l.cleanupAttempts >= DELETED.length,
        { timeoutMs: 20_000 },
      );
      t.diagnostic(`after failed attempts: ${tried.cleanupQueue} owed, ${tried.cleanupAttempts} attempts, last error ${tried.lastCleanupError}`);
      assert.equal(tried.cleanupQueue, 2 * DELETED.length);
      assert.equal(tried.cleanupDlq, 0);
    } finally {
      s3rver.kill('SIGCONT');
    }

    const drained = await waitUntil(
      'the cleanup queue to drain once the backend is back',
      () => readLedger(dbPath),
      (l) => l.cleanupQueue === 0,
      { timeoutMs: 30_000 },
    );
    assert.equal(drained.cleanupDlq, 0);
    assert.equal(drained.intents, 0);
    assert.equal(drained.quotas[0]!.orphan_bytes, 0);
    assert.equal(drained.quotas[0]!.bytes_used, KEPT.length * SIZE);
    assert.equal(drained.liveBytes.get('b1'), KEPT.length * SIZE);

    for (const key of KEPT) {
      const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      assert.equal((await streamSha256(got.Body as AsyncIterable<Uint8Array>)).sha256, contentSha256(key, SIZE), key);
    }
    const verify = await adminVerify(configPath, serve.url);
    assert.ok(verify.report, `verify printed no report: ${verify.stderr}`);
    const b1 = verify.report.backends[0]!;
    assert.equal(b1.leaked.count, 0, JSON.stringify(b1.leaked.keys));
    assert.equal(b1.missing.count, 0, JSON.stringify(b1.missing.keys));
    assert.equal(b1.backend_objects, KEPT.length);
    assert.equal(b1.backend_bytes, KEPT.length * SIZE);
    assert.equal(verify.report.ok, true, verify.stdout);
    assert.equal(verify.code, 0);
  });
});
