// DeleteObject, overwrites and DeleteObjects — and, on the backends, that the bytes no
// longer referenced really go away (the cleanup worker deletes them asynchronously, so
// the checks poll with a bound).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeleteObjectCommand, DeleteObjectsCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  expectS3Error,
  getBytes,
  md5Hex,
  MiB,
  patternBytes,
  put,
  readStored,
  startSystem,
  storedCopies,
  waitUntil,
  testNothingEscaped,
  type E2ESystem,
} from '../src/index.js';

describe('deletes and overwrites', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    sys = await startSystem();
    s3 = sys.client();
    bucket = sys.bucket.name;
  });
  after(() => sys?.stop());

  const copiesOf = (key: string) => storedCopies(sys.backends, bucket, key);
  const deleteObject = (key: string) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  const deleteObjects = (keys: string[], quiet = false) =>
    s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: quiet } }));
  const exists = async (key: string) => {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
      throw err;
    }
  };

  test('DeleteObject answers 204 twice and the bytes leave the backend', async () => {
    const key = 'delete/once';
    await put(s3, { Bucket: bucket, Key: key, Body: patternBytes(64 * 1024, key) });
    assert.equal((await copiesOf(key)).length, 1);

    assert.equal((await deleteObject(key)).$metadata.httpStatusCode, 204);
    assert.equal((await deleteObject(key)).$metadata.httpStatusCode, 204);
    await expectS3Error(getBytes(s3, { Bucket: bucket, Key: key }), { code: 'NoSuchKey', status: 404 });
    assert.equal(await exists(key), false);
    await waitUntil('the deleted object to leave the backend', () => copiesOf(key), (copies) => copies.length === 0);
  });

  test('DeleteObject of a key that never existed answers 204', async () => {
    assert.equal((await deleteObject('delete/never-existed')).$metadata.httpStatusCode, 204);
  });

  test('an overwrite serves the new bytes and the old bytes leave the backend', async () => {
    const key = 'overwrite/twice';
    const first = patternBytes(MiB, `${key}#1`);
    const second = patternBytes(MiB / 2, `${key}#2`);
    await put(s3, { Bucket: bucket, Key: key, Body: first });
    const [oldCopy] = await copiesOf(key);
    assert.ok(oldCopy);

    const out = await put(s3, { Bucket: bucket, Key: key, Body: second });
    assert.equal(out.ETag, `"${md5Hex(second)}"`);
    const { body } = await getBytes(s3, { Bucket: bucket, Key: key });
    assert.ok(body.equals(second), 'GET after the overwrite did not return the new bytes');

    const [survivor] = await waitUntil(
      'the old write to leave the backend',
      () => copiesOf(key),
      (copies) => copies.length === 1 && copies[0]!.storageKey !== oldCopy.storageKey,
    );
    const backend = sys.backends.find((b) => b.name === survivor!.backend)!;
    assert.ok((await readStored(backend, survivor!.storageKey)).equals(second), 'the surviving stored copy is not the new write');
  });

  test('concurrent writes of one key leave one readable version and one stored copy', async () => {
    const key = 'overwrite/race';
    const bodies = Array.from({ length: 4 }, (_, i) => patternBytes(256 * 1024, `${key}#${i}`));
    const results = await Promise.all(bodies.map((Body) => put(s3, { Bucket: bucket, Key: key, Body })));
    const { body, output } = await getBytes(s3, { Bucket: bucket, Key: key });
    const winner = bodies.findIndex((b) => b.equals(body));
    assert.ok(winner >= 0, 'GET returned bytes that no writer sent');
    assert.equal(output.ETag, results[winner]!.ETag);

    const [survivor] = await waitUntil('the losing writes to leave the backends', () => copiesOf(key), (copies) => copies.length === 1);
    const backend = sys.backends.find((b) => b.name === survivor!.backend)!;
    assert.ok((await readStored(backend, survivor!.storageKey)).equals(body), 'the surviving stored copy is not the version served');
  });

  test('DeleteObjects deletes several keys and reports a missing one as Deleted', async () => {
    const keys = ['multi/1', 'multi/2 with space', 'multi/ünï & <xml>'];
    for (const key of [...keys, 'multi/keep']) await put(s3, { Bucket: bucket, Key: key, Body: key });

    const out = await deleteObjects([...keys, 'multi/missing']);
    assert.deepEqual((out.Deleted ?? []).map((d) => d.Key).sort(), [...keys, 'multi/missing'].sort());
    assert.deepEqual(out.Errors ?? [], []);
    for (const key of keys) assert.equal(await exists(key), false, `${key} still exists`);
    assert.equal(await exists('multi/keep'), true);
    for (const key of keys) {
      await waitUntil(`${key} to leave the backend`, () => copiesOf(key), (copies) => copies.length === 0);
    }
  });

  test('DeleteObjects in Quiet mode reports nothing on success', async () => {
    const keys = ['quiet/1', 'quiet/2'];
    for (const key of keys) await put(s3, { Bucket: bucket, Key: key, Body: key });
    const out = await deleteObjects(keys, true);
    assert.deepEqual(out.Deleted ?? [], []);
    assert.deepEqual(out.Errors ?? [], []);
    for (const key of keys) assert.equal(await exists(key), false, `${key} still exists`);
  });

  test('DeleteObjects with more than 1000 keys is MalformedXML and deletes nothing', async () => {
    await put(s3, { Bucket: bucket, Key: 'bulk/0000', Body: 'x' });
    const keys = Array.from({ length: 1001 }, (_, i) => `bulk/${String(i).padStart(4, '0')}`);
    await expectS3Error(deleteObjects(keys), { code: 'MalformedXML', status: 400 });
    assert.equal(await exists('bulk/0000'), true);
  });

  test('DeleteObjects with exactly 1000 keys is accepted', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `thousand/${String(i).padStart(4, '0')}`);
    const out = await deleteObjects(keys, true);
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.deepEqual(out.Errors ?? [], []);
  });

  testNothingEscaped(() => sys);
});
