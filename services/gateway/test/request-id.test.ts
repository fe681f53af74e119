// Request ids come from a pool of crypto-random bytes refilled in batches: across refills
// every id keeps the AWS form and none repeats.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newRequestId } from '../src/http/request-id.js';

test('request ids are 16 upper-case hex characters and distinct across several pool refills', () => {
  const ids = Array.from({ length: 2000 }, () => newRequestId());
  for (const id of ids) assert.match(id, /^[0-9A-F]{16}$/);
  assert.equal(new Set(ids).size, ids.length);
});
