// Object tagging end to end: Get/Put/DeleteObjectTagging, x-amz-tagging on PutObject,
// CreateMultipartUpload and CopyObject (with x-amz-tagging-directive), x-amz-tagging-count on
// GET/HEAD, AWS's limits and errors, tags replaced by an overwrite and gone with the object,
// and the s3:ObjectTagging notifications.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand, DeleteObjectCommand, DeleteObjectTaggingCommand,
  GetObjectTaggingCommand, HeadObjectCommand, PutObjectTaggingCommand, UploadPartCommand, type S3Client, type Tag,
} from '@aws-sdk/client-s3';
import {
  NotificationReceiver, expectS3Error, getBytes, parseErrorXml, put, rawFetch, startSystem, testNothingEscaped, waitUntil,
  type E2ESystem,
} from '../src/index.js';

describe('object tagging', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;
  let receiver: NotificationReceiver;

  before(async () => {
    receiver = await NotificationReceiver.start();
    sys = await startSystem({
      overrides: {
        notifications: {
          poll_interval: '200ms',
          endpoints: [{ name: 'tags', type: 'webhook', url: `${receiver.url}/tags`, timeout: '30s', events: ['s3:ObjectTagging:*'] }],
        },
      },
    });
    s3 = sys.client();
    bucket = sys.bucket.name;
  });
  after(async () => {
    await sys?.stop();
    await receiver?.stop();
  });

  const tagsOf = async (key: string) =>
    ((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))).TagSet ?? []).map((t) => [t.Key, t.Value]).sort();
  const countOf = async (key: string) => (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).TagCount;
  const putTags = (key: string, TagSet: Tag[]) => s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: { TagSet } }));

  test('PutObject with x-amz-tagging stores the set; GET and HEAD carry x-amz-tagging-count', async () => {
    await put(s3, { Bucket: bucket, Key: 'tags/a', Body: 'a', Tagging: 'project=blue%20sky&owner=me&empty=' });
    assert.deepEqual(await tagsOf('tags/a'), [['empty', ''], ['owner', 'me'], ['project', 'blue sky']]);
    assert.equal(await countOf('tags/a'), 3);
    assert.equal((await getBytes(s3, { Bucket: bucket, Key: 'tags/a' })).output.TagCount, 3);
  });

  test('PutObjectTagging replaces the set, DeleteObjectTagging removes it; an overwrite replaces it; a delete removes it', async () => {
    await put(s3, { Bucket: bucket, Key: 'tags/b', Body: 'b' });
    assert.deepEqual(await tagsOf('tags/b'), []);
    assert.equal(await countOf('tags/b'), undefined);
    await putTags('tags/b', [{ Key: 'k1', Value: 'v1' }, { Key: 'k2', Value: 'v2' }]);
    assert.deepEqual(await tagsOf('tags/b'), [['k1', 'v1'], ['k2', 'v2']]);
    await putTags('tags/b', [{ Key: 'k3', Value: 'v3' }]);
    assert.deepEqual(await tagsOf('tags/b'), [['k3', 'v3']]);
    const deleted = await s3.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: 'tags/b' }));
    assert.equal(deleted.$metadata.httpStatusCode, 204);
    assert.deepEqual(await tagsOf('tags/b'), []);

    await putTags('tags/b', [{ Key: 'old', Value: '1' }]);
    await put(s3, { Bucket: bucket, Key: 'tags/b', Body: 'rewritten', Tagging: 'new=2' });
    assert.deepEqual(await tagsOf('tags/b'), [['new', '2']]);
    await put(s3, { Bucket: bucket, Key: 'tags/b', Body: 'rewritten again' });
    assert.deepEqual(await tagsOf('tags/b'), []);
    await putTags('tags/b', [{ Key: 'gone', Value: 'soon' }]);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'tags/b' }));
    await expectS3Error(s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'tags/b' })), { code: 'NoSuchKey', status: 404 });
    await put(s3, { Bucket: bucket, Key: 'tags/b', Body: 'new life' });
    assert.deepEqual(await tagsOf('tags/b'), [], 'a new object under the key starts without the old tags');
  });

  test('tagging a missing key is NoSuchKey and writes nothing', async () => {
    await expectS3Error(putTags('tags/missing', [{ Key: 'k', Value: 'v' }]), { code: 'NoSuchKey', status: 404 });
    await expectS3Error(s3.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: 'tags/missing' })), { code: 'NoSuchKey', status: 404 });
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'tags/missing' })), { status: 404 });
  });

  test("AWS's limits: 10 tags, key ≤ 128 and value ≤ 256 code units, no duplicate keys, no aws: prefix", async () => {
    await put(s3, { Bucket: bucket, Key: 'tags/limits', Body: 'x' });
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await expectS3Error(putTags('tags/limits', eleven), { code: 'BadRequest', status: 400 });
    await putTags('tags/limits', eleven.slice(0, 10));
    assert.equal(await countOf('tags/limits'), 10);
    await expectS3Error(putTags('tags/limits', [{ Key: 'k'.repeat(129), Value: 'v' }]), { code: 'InvalidTag', status: 400 });
    await expectS3Error(putTags('tags/limits', [{ Key: 'k', Value: 'v'.repeat(257) }]), { code: 'InvalidTag', status: 400 });
    await expectS3Error(putTags('tags/limits', [{ Key: 'dup', Value: '1' }, { Key: 'dup', Value: '2' }]), { code: 'InvalidTag', status: 400 });
    await expectS3Error(putTags('tags/limits', [{ Key: 'aws:reserved', Value: '1' }]), { code: 'InvalidTag', status: 400 });
    // 128 characters that are 2 UTF-16 code units each would be 256: too long; 64 of them fit.
    await putTags('tags/limits', [{ Key: 'é'.repeat(128), Value: 'ü'.repeat(256) }]);
    assert.equal(await countOf('tags/limits'), 1);
    // A refused change leaves the set as it was.
    assert.deepEqual(await tagsOf('tags/limits'), [['é'.repeat(128), 'ü'.repeat(256)]]);

    await expectS3Error(put(s3, { Bucket: bucket, Key: 'tags/refused', Body: 'x', Tagging: eleven.map((t) => `${t.Key}=v`).join('&') }),
      { code: 'BadRequest', status: 400 });
    await expectS3Error(put(s3, { Bucket: bucket, Key: 'tags/refused', Body: 'x', Tagging: 'a=1&a=2' }), { code: 'InvalidArgument', status: 400 });
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'tags/refused' })), { status: 404 });

    const malformed = await rawFetch(sys.url, {
      method: 'PUT', path: `/${bucket}/tags/limits`, query: { tagging: '' }, body: '<Tagging><TagSet><Tag><Key>k</Key>', credentials: sys.bucket.credentials,
    });
    assert.equal(malformed.status, 400);
    assert.equal(parseErrorXml(malformed.body).code, 'MalformedXML');
    const noKey = await rawFetch(sys.url, {
      method: 'PUT', path: `/${bucket}/tags/limits`, query: { tagging: '' }, body: '<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>',
      credentials: sys.bucket.credentials,
    });
    assert.equal(parseErrorXml(noKey.body).code, 'MalformedXML');
  });

  test('CreateMultipartUpload with x-amz-tagging: the completed object carries the tags', async () => {
    const key = 'tags/multipart';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, Tagging: 'stage=upload' }));
    const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: 'only part' }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] } }));
    assert.deepEqual(await tagsOf(key), [['stage', 'upload']]);
  });

  test('CopyObject copies the source tags unless x-amz-tagging-directive is REPLACE', async () => {
    await put(s3, { Bucket: bucket, Key: 'tags/src', Body: 'source', Tagging: 'from=source' });
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'tags/copy', CopySource: `${bucket}/tags/src` }));
    assert.deepEqual(await tagsOf('tags/copy'), [['from', 'source']]);
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'tags/copy2', CopySource: `${bucket}/tags/src`, TaggingDirective: 'REPLACE', Tagging: 'fresh=yes' }));
    assert.deepEqual(await tagsOf('tags/copy2'), [['fresh', 'yes']]);
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'tags/copy3', CopySource: `${bucket}/tags/src`, TaggingDirective: 'REPLACE' }));
    assert.deepEqual(await tagsOf('tags/copy3'), []);
  });

  test('tag changes are notified as s3:ObjectTagging:Put and :Delete', async () => {
    await put(s3, { Bucket: bucket, Key: 'tags/notified', Body: 'n' });
    await putTags('tags/notified', [{ Key: 'n', Value: '1' }]);
    await s3.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: 'tags/notified' }));
    const names = () => receiver.delivered('/tags')
      .map((r) => JSON.parse(r.body).Records[0])
      .filter((rec) => rec.s3.object.key === 'tags/notified')
      .map((rec) => rec.eventName as string);
    await waitUntil('two tagging notifications', async () => names(), (n) => n.length >= 2);
    assert.deepEqual(names().sort(), ['ObjectTagging:Delete', 'ObjectTagging:Put']);
  });

  testNothingEscaped(() => sys);
});
