// deleteWithMarkers against a real (SQLite) ledger and backends that take, refuse or hang on
// a marker PUT: where each marker goes, what the copies' debts say, and that a marker PUT that
// failed is owed where it was sent (it may land there yet).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { deleteMarkerKey, deleteWithMarkers, openLedger, type Ledger, type MarkerBackend } from '../src/index.js';
import { FakeClock, put, removedEvent } from './contract-helpers.js';

type Behaviour = 'take' | 'refuse' | 'hang';

/** A backend that keeps the keys it took; `refuse` fails at once, `hang` until the PUT's signal fires. */
class MarkerStore implements MarkerBackend {
  readonly keys = new Set<string>();
  constructor(public behaviour: Behaviour) {}

  async putObject(key: string, body: Readable, options: { signal?: AbortSignal }): Promise<unknown> {
    body.resume();
    if (this.behaviour === 'refuse') throw new Error('503 SlowDown');
    if (this.behaviour === 'hang') {
      // AbortSignal.timeout's timer does not hold the event loop open; a real socket would.
      const held = setInterval(() => {}, 1000);
      await new Promise((_, reject) => options.signal!.addEventListener('abort', () => reject(options.signal!.reason)))
        .finally(() => clearInterval(held));
    }
    this.keys.add(key);
    return {};
  }

  async deleteObject(key: string): Promise<void> {
    this.keys.delete(key);
  }
}

async function withLedger(fn: (ledger: Ledger) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 's3o-markers-'));
  const ledger = await openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db'), source: 'markers-test/1', clock: new FakeClock().read });
  try {
    await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }, { name: 'c', quotaBytes: 0 }]);
    await fn(ledger);
  } finally {
    await ledger.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const quiet = { warn: () => {} };

describe('deleteWithMarkers', () => {
  test('a marker beside each copy; the copies\' debts name it there; nothing in doubt', () =>
    withLedger(async (ledger) => {
      const written = await put(ledger, 'bk/k', 10, ['a']);
      const backends = new Map([['a', new MarkerStore('take')], ['b', new MarkerStore('take')], ['c', new MarkerStore('take')]]);
      const result = await deleteWithMarkers({ ledger, backends, backendTimeoutMs: 1000, logger: quiet }, 'bk/k', removedEvent);
      assert.equal(result.existed, true);
      const storageKey = written.copies[0]!.storageKey;
      assert.deepEqual([...backends.get('a')!.keys], [deleteMarkerKey(storageKey)]);
      const debts = (await ledger.listCleanup(null, 10)).map((d) => [d.backendName, d.storageKey, d.markerBackend, d.inDoubt]);
      assert.deepEqual(debts, [['a', storageKey, 'a', false]]);
    }));

  test('a marker PUT that failed is owed, in doubt, on the backend it was sent to; the marker lands on the next', () =>
    withLedger(async (ledger) => {
      const written = await put(ledger, 'bk/k', 10, ['a']);
      const storageKey = written.copies[0]!.storageKey;
      const backends = new Map([['a', new MarkerStore('hang')], ['b', new MarkerStore('refuse')], ['c', new MarkerStore('take')]]);
      await deleteWithMarkers({ ledger, backends, backendTimeoutMs: 50, logger: quiet }, 'bk/k', removedEvent);
      assert.deepEqual([...backends.get('c')!.keys], [deleteMarkerKey(storageKey)]);
      const debts = (await ledger.listCleanup(null, 10))
        .map((d) => [d.backendName, d.storageKey, d.markerBackend, d.inDoubt, d.sizeBytes])
        .sort((x, y) => String(x[0]).localeCompare(String(y[0])) || String(x[1]).localeCompare(String(y[1])));
      assert.deepEqual(debts, [
        ['a', storageKey, 'c', false, 10],
        ['a', deleteMarkerKey(storageKey), null, true, 0],
        ['b', deleteMarkerKey(storageKey), null, true, 0],
      ]);
    }));

  test('no backend takes a marker: the object is deleted all the same, and every attempt is owed', () =>
    withLedger(async (ledger) => {
      const written = await put(ledger, 'bk/k', 10, ['b']);
      const storageKey = written.copies[0]!.storageKey;
      const backends = new Map([['a', new MarkerStore('refuse')], ['b', new MarkerStore('refuse')], ['c', new MarkerStore('refuse')]]);
      const warned: string[] = [];
      const result = await deleteWithMarkers({ ledger, backends, backendTimeoutMs: 50, logger: { warn: (_f, m) => void warned.push(m) } }, 'bk/k', removedEvent);
      assert.equal(result.existed, true);
      assert.equal(await ledger.getObject('bk/k'), null);
      assert.equal(warned.length, 1);
      const inDoubt = (await ledger.listCleanup(null, 10)).filter((d) => d.inDoubt).map((d) => d.backendName).sort();
      assert.deepEqual(inDoubt, ['a', 'b', 'c']);
    }));
});
