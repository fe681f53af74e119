import { test } from 'node:test';
import assert from 'node:assert/strict';
import { S3Error } from '@s3o/s3';
import { checkConditions, ifRangeHolds, parseRange } from '../src/read/conditions.js';
import { storageKeyFor, storagePathOf } from '../src/write/storage-key.js';
import { backendMetadata } from '../src/write/backend-metadata.js';

const code = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof S3Error ? err.code : 'not an S3Error';
  }
};

test('ranges: absolute, open-ended, suffix, clamped, unsatisfiable, ignored', () => {
  assert.deepEqual(parseRange('bytes=0-4', 10), { start: 0, end: 4 });
  assert.deepEqual(parseRange('bytes=5-', 10), { start: 5, end: 9 });
  assert.deepEqual(parseRange('bytes=-3', 10), { start: 7, end: 9 });
  assert.deepEqual(parseRange('bytes=-30', 10), { start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=8-100', 10), { start: 8, end: 9 });
  assert.equal(code(() => parseRange('bytes=10-', 10)), 'InvalidRange');
  assert.equal(code(() => parseRange('bytes=-0', 10)), 'InvalidRange');
  assert.equal(code(() => parseRange('bytes=0-', 0)), 'InvalidRange');
  assert.equal(parseRange('bytes=0-1,3-4', 10), null);
  assert.equal(parseRange('items=0-1', 10), null);
  assert.equal(parseRange(undefined, 10), null);
});

test('conditions follow RFC 7232 precedence as S3 applies it', () => {
  const t = Date.parse('2026-01-02T00:00:00Z');
  const before = 'Thu, 01 Jan 2026 00:00:00 GMT';
  const after = 'Sat, 03 Jan 2026 00:00:00 GMT';
  assert.equal(code(() => checkConditions({ ifMatch: '"abc"' }, 'abc', t)), null);
  assert.equal(code(() => checkConditions({ ifMatch: '"x"' }, 'abc', t)), 'PreconditionFailed');
  assert.equal(code(() => checkConditions({ ifMatch: '"abc"', ifUnmodifiedSince: before }, 'abc', t)), null);
  assert.equal(code(() => checkConditions({ ifUnmodifiedSince: before }, 'abc', t)), 'PreconditionFailed');
  assert.equal(code(() => checkConditions({ ifNoneMatch: '"abc"' }, 'abc', t)), 'NotModified');
  assert.equal(code(() => checkConditions({ ifNoneMatch: '*' }, 'abc', t)), 'NotModified');
  assert.equal(code(() => checkConditions({ ifModifiedSince: after }, 'abc', t)), 'NotModified');
  assert.equal(code(() => checkConditions({ ifModifiedSince: before }, 'abc', t)), null);
  assert.equal(code(() => checkConditions({ ifNoneMatch: '"zzz"', ifModifiedSince: after }, 'abc', t)), null);
  assert.equal(ifRangeHolds('"abc"', 'abc', t), true);
  assert.equal(ifRangeHolds('"old"', 'abc', t), false);
  assert.equal(ifRangeHolds(after, 'abc', t), true);
  assert.equal(ifRangeHolds(before, 'abc', t), false);
});

test('storage keys are unique per write, keep empty segments reversible, hash long keys', () => {
  assert.equal(storageKeyFor('b', 'a/b', 'ID'), 'b/a/b!ID');
  assert.equal(storagePathOf('a//b'), 'a/%2Fb');
  assert.equal(storagePathOf('/a%b'), '%2Fa%25b');
  const long = storageKeyFor('b', 'x'.repeat(1024), 'ID');
  assert.match(long, /^b\/!h\/[0-9a-f]{64}!ID$/);
});

test('backend metadata describes the object but never pushes past 2 KB', () => {
  const m = backendMetadata('photos', 'a b', { color: 'red' }, 'abc', 42);
  assert.deepEqual(m, { color: 'red', 's3o-bucket': 'photos', 's3o-etag': 'abc', 's3o-size': '42', 's3o-key': 'a%20b' });
  assert.equal(backendMetadata('photos', 'k', {}, null, null)['s3o-size'], undefined, 'a multipart upload announces no size');
  const full = backendMetadata('photos', 'k'.repeat(500), { big: 'v'.repeat(2000) }, 'abc', 42);
  const size = Object.entries(full).reduce((n, [k, v]) => n + k.length + v.length, 0);
  assert.ok(size <= 2048);
  assert.equal(full['s3o-key'], undefined);
  // A user name of ours (stored before such names were refused) never passes for ours.
  const forged = backendMetadata('photos', 'k', { 's3o-bucket': 'other', 's3o-key': 'x'.repeat(2040) }, null, null);
  assert.equal(forged['s3o-bucket'], 'photos');
  assert.equal(forged['s3o-key'], 'k');
});
