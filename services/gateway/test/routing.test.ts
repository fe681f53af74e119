import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddress } from '../src/http/address.js';
import { classify } from '../src/http/classify.js';

const addr = (url: string, host?: string, suffix: string | null = null) => parseAddress(url, host, suffix);

test('path-style addressing keeps the raw key, // and + included', () => {
  const a = addr('/photos/a//b+c%20d/%E6%97%A5?x-id=GetObject');
  assert.equal(a.bucket, 'photos');
  assert.equal(a.key, 'a//b+c d/日');
  assert.equal(a.query.get('x-id'), 'GetObject');
});

test('query values keep + as SigV4 signed them', () => {
  assert.equal(addr('/b?prefix=a+b%2Bc').query.get('prefix'), 'a+b+c');
});

test('virtual-hosted addressing takes the bucket from the host when the suffix matches', () => {
  const a = addr('/k/x', 'photos.s3.local:9000', 's3.local');
  assert.equal(a.bucket, 'photos');
  assert.equal(a.key, 'k/x');
  const p = addr('/photos/k', '127.0.0.1:9000', 's3.local');
  assert.equal(p.bucket, 'photos');
  assert.equal(p.key, 'k');
});

test('the routing table maps method + subresource to one action', () => {
  const c = (method: string, url: string, headers: Record<string, string> = {}) => classify(method, addr(url), headers).action;
  assert.equal(c('GET', '/'), 'ListBuckets');
  assert.equal(c('GET', '/b'), 'ListObjects');
  assert.equal(c('GET', '/b?list-type=2'), 'ListObjectsV2');
  assert.equal(c('GET', '/b?location'), 'GetBucketLocation');
  assert.equal(c('GET', '/b?versioning'), 'GetBucketVersioning');
  assert.equal(c('GET', '/b?uploads'), 'ListMultipartUploads');
  assert.equal(c('POST', '/b?delete'), 'DeleteObjects');
  assert.equal(c('HEAD', '/b'), 'HeadBucket');
  assert.equal(c('DELETE', '/b'), 'DeleteBucket');
  assert.equal(c('PUT', '/b/k'), 'PutObject');
  assert.equal(c('PUT', '/b/k', { 'x-amz-copy-source': '/b/j' }), 'CopyObject');
  assert.equal(c('PUT', '/b/k?partNumber=1&uploadId=u'), 'UploadPart');
  assert.equal(c('POST', '/b/k?uploads'), 'CreateMultipartUpload');
  assert.equal(c('POST', '/b/k?uploadId=u'), 'CompleteMultipartUpload');
  assert.equal(c('DELETE', '/b/k?uploadId=u'), 'AbortMultipartUpload');
  assert.equal(c('GET', '/b/k?uploadId=u'), 'ListParts');
  assert.equal(c('GET', '/b/k'), 'GetObject');
  assert.equal(c('HEAD', '/b/k'), 'HeadObject');
  assert.equal(c('DELETE', '/b/k'), 'DeleteObject');
  assert.equal(c('GET', '/b/k?tagging'), 'GetObjectTagging');
  assert.equal(c('GET', '/b/k?attributes'), 'GetObjectAttributes');
  assert.equal(c('PUT', '/b/k?tagging'), 'PutObjectTagging');
  assert.equal(c('DELETE', '/b/k?tagging'), 'DeleteObjectTagging');
  assert.equal(c('PUT', '/b/k?partNumber=1&uploadId=u', { 'x-amz-copy-source': '/b/j' }), 'UploadPartCopy');
  assert.equal(c('GET', '/b/k?partNumber=2'), 'GetObject');
  assert.equal(c('GET', '/b?cors'), 'GetBucketCors');
  assert.equal(c('HEAD', '/b/k?partNumber=2'), 'HeadObject');
});

test('anything outside the table is not implemented', () => {
  const c = (method: string, url: string, headers: Record<string, string> = {}) => classify(method, addr(url), headers).action;
  assert.equal(c('GET', '/b?acl'), null);
  assert.equal(c('PUT', '/b?tagging'), null);
  assert.equal(c('PATCH', '/b/k'), null);
});
