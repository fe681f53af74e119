// Which statements a Postgres connection names (statement-cache.ts), without a server; the
// Postgres suite checks what the server ends up holding.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatementCache } from '../src/postgres/statement-cache.js';

test('a text is named on its second run and keeps its name', () => {
  const cache = new StatementCache(8);
  assert.equal(cache.nameFor('SELECT 1'), null);
  const name = cache.nameFor('SELECT 1');
  assert.match(name ?? '', /^s3o_\d+$/);
  assert.equal(cache.nameFor('SELECT 1'), name);
  assert.equal(cache.nameFor('  with x AS (SELECT 1) SELECT * FROM x'), null);
  assert.ok(cache.nameFor('  with x AS (SELECT 1) SELECT * FROM x'));
});

test('statements without a plan are never named', () => {
  const cache = new StatementCache(8);
  for (const text of ['START TRANSACTION ISOLATION LEVEL REPEATABLE READ', 'COMMIT', 'ROLLBACK', 'SET x = 1', 'SAVEPOINT a']) {
    for (let i = 0; i < 3; i++) assert.equal(cache.nameFor(text), null, text);
  }
  assert.equal(cache.size, 0);
});

test('beyond capacity the least recently used name is evicted, for deallocation', () => {
  const cache = new StatementCache(2);
  const name = (text: string) => (cache.nameFor(text), cache.nameFor(text));
  const a = name('SELECT a');
  const b = name('SELECT b');
  cache.nameFor('SELECT a');
  name('SELECT c');
  assert.equal(cache.size, 2);
  assert.deepEqual(cache.takeDeallocations(), [b]);
  assert.deepEqual(cache.takeDeallocations(), [], 'taking clears');
  assert.equal(cache.nameFor('SELECT a'), a);
  assert.equal(cache.nameFor('SELECT b'), null, 'an evicted text starts over as unseen');
});

test('one-off texts do not push out named ones', () => {
  const cache = new StatementCache(2);
  const hot = (cache.nameFor('SELECT hot'), cache.nameFor('SELECT hot'));
  for (let i = 0; i < 100; i++) assert.equal(cache.nameFor(`SELECT ${i}`), null);
  assert.equal(cache.nameFor('SELECT hot'), hot);
  assert.deepEqual(cache.takeDeallocations(), []);
});

test('after invalidate every name is new and the whole session is deallocated', () => {
  const cache = new StatementCache(4);
  const old = (cache.nameFor('SELECT a'), cache.nameFor('SELECT a'));
  cache.invalidate();
  assert.equal(cache.size, 0);
  assert.equal(cache.nameFor('SELECT a'), null);
  const fresh = cache.nameFor('SELECT a');
  assert.ok(fresh && fresh !== old, 'never the old name: node-postgres remembers it as parsed');
  assert.equal(cache.takeDeallocations(), 'ALL');
  assert.equal(cache.size, 0, 'DEALLOCATE ALL drops the names given since, too');
  assert.deepEqual(cache.takeDeallocations(), []);
});

test('capacity 0 names nothing', () => {
  const cache = new StatementCache(0);
  for (let i = 0; i < 3; i++) assert.equal(cache.nameFor('SELECT 1'), null);
});
