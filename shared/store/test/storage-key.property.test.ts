// Storage keys (storage-key.ts) for any client key: the mapping is reversible (so no two
// keys share a storage path), and the path has no empty, `.` or `..` segment and no '\'
// that a file-system-backed server could resolve out of the bucket's area.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { keyOfStoragePath, storageKeyFor, storagePathOf } from '../src/storage-key.js';
import { propertyRuns } from '../../../scripts/lib/property-runs.js';

// Keys made of the characters that matter here, plus any Unicode.
const tricky = fc.constantFrom('/', '.', '..', '%', '\\', '%2F', '%2E', '%25', '%5C', '!', 'a', ' ');
const key = fc.oneof(
  fc.array(tricky, { maxLength: 12 }).map((parts) => parts.join('')),
  fc.array(fc.oneof(tricky, fc.string({ unit: 'grapheme', maxLength: 4 })), { maxLength: 12 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

test('a storage path maps back to its key (so two keys never share one)', () => {
  fc.assert(fc.property(key, (k) => keyOfStoragePath(storagePathOf(k)) === k), propertyRuns());
  fc.assert(fc.property(key, key, (a, b) => a === b || storagePathOf(a) !== storagePathOf(b)), propertyRuns());
});

test('a storage key has no empty, dot or dot-dot segment and no backslash', () => {
  fc.assert(
    fc.property(key, (k) => {
      const storageKey = storageKeyFor('photos', k, '01J00000000000000000000000');
      const segments = storageKey.split('/');
      assert.equal(segments[0], 'photos');
      for (const segment of segments) assert.ok(segment !== '' && segment !== '.' && segment !== '..', `${JSON.stringify(k)} → ${storageKey}`);
      assert.ok(!storageKey.includes('//'));
      assert.ok(!storageKey.includes('\\'));
    }),
    propertyRuns(),
  );
});

test('the escapes, and the keys written before them', () => {
  assert.equal(storagePathOf('x/../../other/y'), 'x/%2E%2E/%2E%2E/other/y');
  assert.equal(storagePathOf('./a/.'), '%2E/a/%2E');
  assert.equal(storagePathOf('a\\..\\b'), 'a%5C..%5Cb');
  // Names that merely contain dots are ordinary segments.
  assert.equal(storagePathOf('a/.../.b/c.'), 'a/.../.b/c.');
  // Unchanged from before the dot escapes: empty segments and '%'.
  assert.equal(storagePathOf('a//b'), 'a/%2Fb');
  assert.equal(storagePathOf('/a%b'), '%2Fa%25b');
});
