// The guarded ledger covers the ledger's operation groups too: `ledger.drains.*` and
// `ledger.notifications.*` are counted by the database breaker when the database is
// unreachable, and refused at once while it is open — as every top-level operation is.
// A real SQLite ledger behind the "unreachable" double (support/unreachable-ledger.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '@s3o/store';
import { DatabaseBreaker, DatabaseUnavailableError } from '../src/degraded/database-breaker.js';
import { guardLedger } from '../src/degraded/guarded-ledger.js';
import { switchableLedger } from './support/unreachable-ledger.js';

test('nested operations (drains, notifications) run under the breaker: their failures open it, and it refuses them while open', async () => {
  const dir = await mkdtemp(join(tmpdir(), 's3o-guarded-nested-'));
  const real = await openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db'), source: 'guard-nested-test' });
  const db = switchableLedger(real);
  const breaker = new DatabaseBreaker({ failureThreshold: 2, openTimeoutMs: 60_000, probe: () => real.getQuotas() });
  const ledger = guardLedger(db.ledger, breaker);
  try {
    await ledger.syncBackends([{ name: 'b1', quotaBytes: 0 }]);
    assert.deepEqual(await ledger.drains.listActiveDrains(), [], 'reachable: nested calls reach the ledger');
    assert.equal(await ledger.notifications.depth('pending'), 0);
    assert.equal(ledger.drains, ledger.drains, 'one guarded group, not a new one per access');

    db.reachable = false;
    await assert.rejects(ledger.drains.listActiveDrains(), DatabaseUnavailableError, 'a nested failure is the breaker\'s error');
    assert.equal(breaker.state, 'closed');
    await assert.rejects(ledger.notifications.depth('pending'), DatabaseUnavailableError);
    assert.equal(breaker.state, 'open', 'two unreachable nested calls opened the breaker');
    assert.equal(db.attemptsWhileUnreachable, 2);

    await assert.rejects(ledger.drains.getDrain('b1'), DatabaseUnavailableError);
    await assert.rejects(ledger.notifications.claim(10, 1_000), DatabaseUnavailableError);
    assert.equal(db.attemptsWhileUnreachable, 2, 'the open breaker kept nested calls from the database');
  } finally {
    breaker.stop();
    await ledger.close();
    await rm(dir, { recursive: true, force: true });
  }
});
