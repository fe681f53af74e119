// A backend failing under the gateway: hung (SIGSTOP: connections open, nothing answers),
// then crashed (SIGKILL: connections refused). Writes must fail over to another backend
// and succeed; reads of the only copy on the dead backend are 503 ServiceUnavailable.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  expectS3Error,
  getBytes,
  getDigest,
  KiB,
  MiB,
  patternBytes,
  patternDigests,
  patternStream,
  put,
  startSystem,
  storedCopies,
  testNothingEscaped,
  type E2ESystem,
  type RunningBackend,
} from '../src/index.js';

describe('backend faults', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;
  let b1: RunningBackend;
  let survivors: RunningBackend[];

  before(async () => {
    sys = await startSystem({ routing: 'pack', overrides: { server: { backend_timeout: '1500ms' } } });
    // No SDK retries: each answer seen is the gateway's first.
    s3 = sys.client(undefined, { maxAttempts: 1 });
    bucket = sys.bucket.name;
    [b1] = sys.backends as [RunningBackend];
    survivors = sys.backends.slice(1);
    await put(s3, { Bucket: bucket, Key: 'faults/only-on-b1', Body: 'lives on b1' });
    const copies = await storedCopies(sys.backends, bucket, 'faults/only-on-b1');
    assert.deepEqual(copies.map((c) => c.backend), ['b1'], 'pack order should put the first object on b1');
  });
  after(() => sys?.stop());

  /** Where a key's bytes are, looking only at backends that still answer. */
  const placedOn = async (key: string) => (await storedCopies(survivors, bucket, key)).map((c) => c.backend);

  test('a hung backend is given up on after backend_timeout and a small PUT lands on another', async () => {
    b1.process.kill('SIGSTOP');
    try {
      const data = patternBytes(100 * KiB, 'faults/while-hung');
      await put(s3, { Bucket: bucket, Key: 'faults/while-hung', Body: data });
      assert.equal((await placedOn('faults/while-hung')).length, 1, 'the object is not on b2 or b3');
      assert.ok((await getBytes(s3, { Bucket: bucket, Key: 'faults/while-hung' })).body.equals(data));
    } finally {
      b1.process.kill('SIGCONT');
    }
  });

  test('a crashed backend: a small PUT answers 200 and lands on another backend', async () => {
    b1.process.kill('SIGKILL');
    const data = patternBytes(200 * KiB, 'faults/after-crash');
    await put(s3, { Bucket: bucket, Key: 'faults/after-crash', Body: data });
    assert.equal((await placedOn('faults/after-crash')).length, 1, 'the object is not on b2 or b3');
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: 'faults/after-crash' })).body.equals(data));
  });

  test('a crashed backend: a streamed PUT larger than the replay buffer fails over before its first byte', async () => {
    const key = 'faults/large-after-crash';
    const size = 10 * MiB;
    const expected = await patternDigests(size, key);
    await put(s3, { Bucket: bucket, Key: key, Body: patternStream(size, key), ContentLength: size });
    assert.equal((await placedOn(key)).length, 1, 'the object is not on b2 or b3');
    assert.equal((await getDigest(s3, { Bucket: bucket, Key: key })).sha256, expected.sha256);
  });

  test('the only copy on the crashed backend: HEAD answers from the ledger, GET is 503 ServiceUnavailable', async () => {
    const headOut = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'faults/only-on-b1' }));
    assert.equal(headOut.ContentLength, 'lives on b1'.length);
    await expectS3Error(getBytes(s3, { Bucket: bucket, Key: 'faults/only-on-b1' }), { code: 'ServiceUnavailable', status: 503 });
  });

  test('DELETE of an object on the crashed backend still answers 204', async () => {
    const out = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'faults/only-on-b1' }));
    assert.equal(out.$metadata.httpStatusCode, 204);
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'faults/only-on-b1' })), { status: 404 });
  });

  testNothingEscaped(() => sys);
});
