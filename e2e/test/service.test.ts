// Bucket-level operations a client performs before touching objects, and the rule that
// every operation the gateway does not implement answers 501 NotImplemented.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  GetBucketAclCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  GetObjectAclCommand,
  GetBucketTaggingCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutBucketVersioningCommand,
  PutBucketTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { expectS3Error, parseErrorXml, put, rawFetch, startSystem, testNothingEscaped, type E2ESystem } from '../src/index.js';

describe('service and bucket operations', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    sys = await startSystem();
    s3 = sys.client();
    bucket = sys.bucket.name;
    await put(s3, { Bucket: bucket, Key: 'subresource/target', Body: 'x' });
  });
  after(() => sys?.stop());

  test('ListBuckets shows only the bucket of the credential', async () => {
    const mine = await s3.send(new ListBucketsCommand({}));
    assert.deepEqual((mine.Buckets ?? []).map((b) => b.Name), [bucket]);
    assert.ok(mine.Buckets![0]!.CreationDate instanceof Date);
    const other = sys.buckets[1]!.name;
    const theirs = await sys.client(other).send(new ListBucketsCommand({}));
    assert.deepEqual((theirs.Buckets ?? []).map((b) => b.Name), [other]);
  });

  test('HeadBucket answers 200 for the own bucket', async () => {
    const out = await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    assert.equal(out.$metadata.httpStatusCode, 200);
  });

  test('GetBucketLocation answers the default region', async () => {
    const out = await s3.send(new GetBucketLocationCommand({ Bucket: bucket }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    // us-east-1 is written as an empty LocationConstraint by S3.
    assert.ok([undefined, '', 'us-east-1'].includes(out.LocationConstraint), `LocationConstraint ${out.LocationConstraint}`);
  });

  test('GetBucketVersioning answers that versioning was never enabled', async () => {
    const out = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.equal(out.Status, undefined);
    assert.equal(out.MFADelete, undefined);
  });

  const unsupported: Array<[string, () => Promise<unknown>]> = [
    ['GET ?acl (object)', () => s3.send(new GetObjectAclCommand({ Bucket: bucket, Key: 'subresource/target' }))],
    ['GET ?acl (bucket)', () => s3.send(new GetBucketAclCommand({ Bucket: bucket }))],
    ['GET ?tagging (bucket)', () => s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))],
    [
      'PUT ?tagging (bucket)',
      () => s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: 'k', Value: 'v' }] } })),
    ],
    [
      'PUT ?versioning (bucket)',
      () => s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } })),
    ],
  ];
  for (const [what, call] of unsupported) {
    test(`${what} is 501 NotImplemented`, async () => {
      await expectS3Error(call(), { code: 'NotImplemented', status: 501 });
    });
  }

  test('a 501 answer is an XML error with a request id, and the object is untouched', async () => {
    const res = await rawFetch(sys.url, {
      method: 'PUT',
      path: `/${bucket}/subresource/target`,
      query: { acl: '' },
      body: '<AccessControlPolicy/>',
      credentials: sys.bucket.credentials,
    });
    assert.equal(res.status, 501);
    const error = parseErrorXml(res.body);
    assert.equal(error.code, 'NotImplemented');
    assert.ok(error.requestId, res.body);
    assert.equal(res.headers.get('x-amz-request-id'), error.requestId);
    const body = await rawFetch(sys.url, { method: 'GET', path: `/${bucket}/subresource/target`, credentials: sys.bucket.credentials });
    assert.equal(body.body, 'x');
  });

  testNothingEscaped(() => sys);
});
