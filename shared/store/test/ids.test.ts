import assert from 'node:assert/strict';
import { test } from 'node:test';
import { idTime, newId } from '../src/index.js';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

// The generator remembers the latest time it saw (process-wide), so every test uses times
// later than anything used before it.
let future = Date.now() + 86_400_000;
function later(): number {
  future += 60_000;
  return future;
}

test('newId is a 26-character Crockford base32 ULID carrying its millisecond', () => {
  const now = later();
  const id = newId(now);
  assert.match(id, ULID);
  assert.equal(idTime(id), now);
  assert.match(newId(), ULID);
});

test('ids made in one millisecond, or with a clock that steps back, still increase', () => {
  const fixed = later();
  const ids = Array.from({ length: 1000 }, () => newId(fixed));
  ids.push(newId(fixed - 5000));
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} < ${ids[i]}`);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(idTime(ids.at(-1)!), fixed, 'a clock stepping back stays on the last time seen');
});

test('ids of later milliseconds sort after, with fresh randomness', () => {
  const t = later();
  const a = newId(t);
  const b = newId(t + 1);
  assert.ok(a < b);
  assert.equal(idTime(b), t + 1);
  assert.notEqual(a.slice(10), b.slice(10));
});

test('idTime rejects what is not a ULID; newId rejects unencodable times', () => {
  assert.throws(() => idTime('not-an-id'), TypeError);
  assert.throws(() => idTime('01ARZ3NDEKTSV4RRFFQ69G5FAU'), TypeError); // U is not in the alphabet
  assert.throws(() => newId(2 ** 48), RangeError);
});
