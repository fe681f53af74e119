// An UploadPart the backend fails mid-body (s3rver SIGSTOPped: the gateway runs into
// backend_timeout with part of the body sent). The backend may keep those bytes inside the
// upload (s3rver keeps a cut-off part) until the upload is completed or aborted, so the part's
// claim stays charged until then — it was once released at once, leaving bytes on the backend
// the quota did not count. The client sees 503, ListParts does not show the part, a retry
// replaces the claim, and Complete or Abort end it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Ledger } from '@s3o/store';
import {
  expectS3Error,
  getDigest,
  MiB,
  openSystemLedger,
  patternBytes,
  sha256Hex,
  startSystem,
  testNothingEscaped,
  waitUntil,
  type E2ESystem,
  type RunningBackend,
} from '../src/index.js';

const PART = 5 * MiB;

describe('an UploadPart the backend fails mid-body', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let ledger: Ledger;
  let bucket: string;
  let b1: RunningBackend;

  before(async () => {
    sys = await startSystem({ routing: 'pack', overrides: { server: { backend_timeout: '1s' } } });
    s3 = sys.client(undefined, { maxAttempts: 1 });
    ledger = await openSystemLedger(sys);
    bucket = sys.bucket.name;
    b1 = sys.backends[0]!;
  });
  after(async () => {
    await ledger?.close();
    await sys?.stop();
  });

  const b1Quota = async () => {
    const q = (await ledger.getQuotas()).find((row) => row.backendName === 'b1')!;
    return { used: q.bytesUsed, orphan: q.orphanBytes, inflight: q.inflightBytes };
  };
  const part = (key: string, uploadId: string, partNumber: number, body: Buffer) =>
    s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body }));

  /** An upload on b1 with part 1 recorded and part 2 failed by a hung b1. */
  async function uploadWithFailedPart(key: string): Promise<string> {
    const uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))).UploadId!;
    await part(key, uploadId, 1, patternBytes(PART, `${key}#1`));
    b1.process.kill('SIGSTOP');
    try {
      await expectS3Error(part(key, uploadId, 2, patternBytes(PART, `${key}#2`)), { code: 'ServiceUnavailable', status: 503 });
    } finally {
      b1.process.kill('SIGCONT');
    }
    return uploadId;
  }

  test('its claim stays charged; a retry replaces it and Complete turns both parts into the object', async () => {
    const key = 'parts/retried';
    const uploadId = await uploadWithFailedPart(key);
    assert.deepEqual(await b1Quota(), { used: 0, orphan: 0, inflight: 2 * PART }, 'the failed part is still charged');
    const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    assert.deepEqual(listed.Parts?.map((p) => p.PartNumber), [1], 'ListParts shows only the recorded part');

    const one = await part(key, uploadId, 1, patternBytes(PART, `${key}#1`));
    const two = await part(key, uploadId, 2, patternBytes(PART, `${key}#2`));
    assert.deepEqual(await b1Quota(), { used: 0, orphan: 0, inflight: 2 * PART }, 'the retried part replaced its claim');
    await s3.send(new CompleteMultipartUploadCommand({
      Bucket: bucket, Key: key, UploadId: uploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: one.ETag! }, { PartNumber: 2, ETag: two.ETag! }] },
    }));
    assert.deepEqual(await b1Quota(), { used: 2 * PART, orphan: 0, inflight: 0 });
    const expected = sha256Hex(Buffer.concat([patternBytes(PART, `${key}#1`), patternBytes(PART, `${key}#2`)]));
    assert.equal((await getDigest(s3, { Bucket: bucket, Key: key })).sha256, expected);
  });

  test('Abort ends the failed part with the rest of the upload', async () => {
    const key = 'parts/aborted';
    const before = await b1Quota();
    const uploadId = await uploadWithFailedPart(key);
    assert.equal((await b1Quota()).inflight - before.inflight, 2 * PART, 'both parts charged while the upload is open');
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    // Both parts go into the abort's one debt. s3rver cannot abort (405), so that debt is
    // dead-lettered at once, still charged; an operator who settled it discards it.
    const dead = await waitUntil('the abort debt to be settled', async () => ({
      quota: await b1Quota(),
      dead: (await ledger.listDeadLetters(null, 1000)).filter((d) => d.objectKey === `${bucket}/${key}`),
    }), (v) => v.quota.inflight === before.inflight && v.dead.length === 1);
    assert.equal(dead.dead[0]!.sizeBytes, 2 * PART, 'the debt is both parts');
    assert.equal(await ledger.discardDeadLetters(dead.dead.map((d) => d.id)), 1);
    assert.equal((await b1Quota()).orphan, before.orphan);
  });

  testNothingEscaped(() => sys);
});
