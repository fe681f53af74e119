import { test } from 'node:test';
import assert from 'node:assert/strict';
import { S3Error } from '@s3o/s3';
import { checkConditions, ifRangeHolds, parseRange } from '../src/read/conditions.js';
import { storageKeyFor, storagePathOf } from '../src/write/storage-key.js';
import { decodeStoredTags } from '@s3o/store';
import { backendMetadata, type StoredFacts } from '../src/write/backend-metadata.js';

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
  const facts = (over: Partial<StoredFacts> = {}): StoredFacts => ({ bucket: 'photos', key: 'a b', writeId: 'W1', etag: 'abc', storedSize: 42, ...over });
  const m = backendMetadata(facts({ tags: { 'a b': 'c&d' } }), { color: 'red' });
  assert.deepEqual(m, {
    color: 'red', 's3o-bucket': 'photos', 's3o-write': 'W1', 's3o-etag': 'abc', 's3o-size': '42', 's3o-tags': 'a%20b=c%26d', 's3o-key': 'a%20b',
  });
  assert.deepEqual(decodeStoredTags(m['s3o-tags']), { 'a b': 'c&d' });
  assert.equal(backendMetadata(facts({ key: 'k', etag: null, storedSize: null }), {})['s3o-size'], undefined, 'a multipart upload announces no size');
  assert.equal(backendMetadata(facts({ partSizes: [5, 3] }), {})['s3o-parts'], '5,3');
  const full = backendMetadata(facts({ key: 'k'.repeat(500), tags: { t: 'v'.repeat(200) } }), { big: 'v'.repeat(1850) });
  const size = Object.entries(full).reduce((n, [k, v]) => n + k.length + v.length, 0);
  assert.ok(size <= 2048);
  assert.equal(full['s3o-key'], undefined);
  assert.equal(full['s3o-tags'], undefined, 'tags that do not fit are left out (lost to a rebuild), before the write id and size are');
  assert.equal(full['s3o-write'], 'W1');
  // A user name of ours (stored before such names were refused) never passes for ours.
  const forged = backendMetadata(facts({ key: 'k', etag: null, storedSize: null }), { 's3o-bucket': 'other', 's3o-key': 'x'.repeat(2040) });
  assert.equal(forged['s3o-bucket'], 'photos');
  assert.equal(forged['s3o-key'], 'k');
});
