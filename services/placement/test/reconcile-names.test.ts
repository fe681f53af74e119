// How reconcile and sync name what they find on a backend: keys of our own `…!<id>` form
// (leftovers, never imported), the grace period before a leftover is owed, and the bucket
// and key a foreign object is imported as.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '@s3o/config';
import { idTime, newId } from '@s3o/store';
import { leftoverGraceMs, ownWriteId } from '../src/reconcile/own-keys.js';
import { reconcileTarget, syncTarget } from '../src/reconcile/import-target.js';

test('ownWriteId: the write id our storage keys end with, and only that', () => {
  const id = newId();
  assert.equal(ownWriteId(`photos/a.jpg!${id}`), id);
  assert.equal(ownWriteId(`photos/!h/${'ab'.repeat(32)}!${id}`), id);
  assert.equal(idTime(ownWriteId(`b/k!${id}`)!), idTime(id));
  for (const foreign of ['photos/a.jpg', `photos/a.jpg!${id}x`, `photos/a.jpg!${id.toLowerCase()}`, `photos/a.jpg!${id.slice(1)}`, 'x!UUUUUUUUUUUUUUUUUUUUUUUUUU']) {
    assert.equal(ownWriteId(foreign), null, foreign);
  }
});

test('leftoverGraceMs: max(write_path.pending_pattern.min_age, 1 h)', () => {
  const config = (minAge: string) => parseConfig(JSON.stringify({
    buckets: [{ name: 'photos', credentials: [{ access_key_id: 'AK', secret_access_key: 'secret' }] }],
    backends: [{ name: 'b1', endpoint: 'http://127.0.0.1:9001', bucket: 'real', access_key_id: 'k', secret_access_key: 's' }],
    write_path: { pending_pattern: { min_age: minAge, heartbeat: '1s' } },
  }), {}).config;
  assert.equal(leftoverGraceMs(config('5m')), 3_600_000);
  assert.equal(leftoverGraceMs(config('3h')), 3 * 3_600_000);
});

test('syncTarget: the key minus a leading "<bucket>/", else the key as it is', () => {
  assert.deepEqual(syncTarget('photos', 'photos/2019/a.jpg'), { bucket: 'photos', key: '2019/a.jpg' });
  assert.deepEqual(syncTarget('photos', '2019/a.jpg'), { bucket: 'photos', key: '2019/a.jpg' });
  assert.deepEqual(syncTarget('photos', 'photosets/a.jpg'), { bucket: 'photos', key: 'photosets/a.jpg' });
  assert.deepEqual(syncTarget('photos', 'photos/'), { unnamed: true });
});

test('reconcileTarget: the bucket x-amz-meta-s3o-bucket or the first path segment names, when configured', () => {
  const buckets = new Set(['photos', 'logs']);
  assert.deepEqual(reconcileTarget('photos/a.jpg', undefined, buckets), { bucket: 'photos', key: 'a.jpg' });
  assert.deepEqual(reconcileTarget('moved/a.jpg', 'logs', buckets), { bucket: 'logs', key: 'moved/a.jpg' });
  assert.deepEqual(reconcileTarget('logs/a.txt', 'logs', buckets), { bucket: 'logs', key: 'a.txt' });
  assert.deepEqual(reconcileTarget('music/a.mp3', undefined, buckets), { unknownBucket: 'music' });
  assert.deepEqual(reconcileTarget('photos/a.jpg', 'music', buckets), { unknownBucket: 'music' });
  assert.deepEqual(reconcileTarget('top-level.txt', undefined, buckets), { unnamed: true });
  assert.deepEqual(reconcileTarget('/leading-slash', undefined, buckets), { unnamed: true });
  assert.deepEqual(reconcileTarget('photos/', undefined, buckets), { unnamed: true });
});
