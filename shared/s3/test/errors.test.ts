import { test } from 'node:test';
import assert from 'node:assert/strict';
import { S3_ERRORS, S3Error, errorXml, isS3Error, s3Error, type S3ErrorCode } from '../src/errors.js';
import { parseXml } from '../src/xml-parse.js';

test('every code carries the HTTP status AWS uses', () => {
  const expected: Record<string, number> = {
    AccessDenied: 403, InvalidAccessKeyId: 403, SignatureDoesNotMatch: 403, RequestTimeTooSkewed: 403,
    AuthorizationHeaderMalformed: 400, AuthorizationQueryParametersError: 400, MissingSecurityHeader: 400,
    NoSuchBucket: 404, NoSuchKey: 404, NoSuchUpload: 404, InvalidArgument: 400, InvalidRequest: 400,
    MalformedXML: 400, MissingContentLength: 411, EntityTooLarge: 400, EntityTooSmall: 400, InvalidDigest: 400,
    BadDigest: 400, XAmzContentSHA256Mismatch: 400, InvalidPart: 400, InvalidPartOrder: 400, InvalidRange: 416,
    PreconditionFailed: 412, NotModified: 304, MetadataTooLarge: 400, KeyTooLongError: 400, IncompleteBody: 400,
    InvalidChunkSizeError: 400, InvalidBucketName: 400, NotImplemented: 501, MethodNotAllowed: 405,
    InternalError: 500, ServiceUnavailable: 503, SlowDown: 503, InsufficientStorage: 507, RequestTimeout: 400,
  };
  for (const [code, status] of Object.entries(expected)) {
    assert.ok(code in S3_ERRORS, `${code} is in the table`);
    const err = s3Error(code as S3ErrorCode);
    assert.equal(err.status, status, code);
    assert.equal(err.code, code);
    assert.ok(err.message.length > 0);
  }
});

test('S3Error is an Error with options', () => {
  const cause = new Error('socket hang up');
  const err = s3Error('NoSuchKey', { resource: '/b/k', extra: { Key: 'k' }, cause });
  assert.ok(err instanceof Error);
  assert.ok(isS3Error(err));
  assert.ok(!isS3Error(new Error('x')));
  assert.equal(err.message, 'The specified key does not exist.');
  assert.equal(err.resource, '/b/k');
  assert.deepEqual(err.extra, { Key: 'k' });
  assert.equal(err.cause, cause);
  assert.equal(new S3Error('AccessDenied', { message: 'Request has expired' }).message, 'Request has expired');
});

test('NotModified is the one error without a body', () => {
  assert.equal(s3Error('NotModified').hasBody, false);
  assert.equal(s3Error('PreconditionFailed').hasBody, true);
});

test('errorXml produces AWS-shaped, escaped XML that parses back', () => {
  const err = s3Error('NoSuchKey', { extra: { Key: 'a<b>&"c\'', BucketName: 'bkt' } });
  const xml = errorXml(err, 'req-1', '/bkt/a<b>&"c\'');
  assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'));
  assert.ok(xml.includes('<Key>a&lt;b&gt;&amp;&quot;c&apos;</Key>'));
  const parsed = parseXml(xml).Error as Record<string, string>;
  assert.deepEqual(parsed, {
    Code: 'NoSuchKey',
    Message: 'The specified key does not exist.',
    Key: 'a<b>&"c\'',
    BucketName: 'bkt',
    Resource: '/bkt/a<b>&"c\'',
    RequestId: 'req-1',
  });
});

test('errorXml falls back to the error resource and omits an absent one', () => {
  assert.ok(errorXml(s3Error('NoSuchBucket', { resource: '/x' }), 'r').includes('<Resource>/x</Resource>'));
  assert.ok(!errorXml(s3Error('InternalError'), 'r').includes('<Resource>'));
});
