// The Ledger contract, the import part: what sync and reconcile rely on — importObject
// takes an object found on a backend into the ledger under the key it was found at, once,
// never over a live object and never over a storage key another record accounts for.
// Runs inside runLedgerContract, on every engine.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CommitResult, ImportObjectRequest, ImportOutcome, Ledger, NewEvent } from '../src/index.js';
import { allEvents, claimWrite, identity, put, quota, type WithLedger } from './contract-helpers.js';

function importedEvent(commit: CommitResult): NewEvent[] {
  return [{
    type: 'object.created',
    resource: commit.object.objectKey,
    data: {
      version: 1,
      op: 'Import',
      size: commit.object.size,
      copies: commit.copies.map((c) => ({ backend: c.backendName, storage_key: c.storageKey })),
    },
  }];
}

function importRequest(objectKey: string, storageKey: string, size: number, backendName = 'a'): ImportObjectRequest {
  return {
    objectKey,
    backendName,
    storageKey,
    identity: identity(size, { etag: `found${size}`, contentType: 'text/plain', userMetadata: { origin: 'legacy' }, headers: { cacheControl: 'no-cache' } }),
    events: importedEvent,
  };
}

async function importOne(ledger: Ledger, req: ImportObjectRequest): Promise<ImportOutcome> {
  const [outcome] = await ledger.importObjects([req]);
  return outcome!;
}

export function describeImportContract(withLedger: WithLedger): void {
  describe('importObject', () => {
    test('commits the object with one copy at the key as found, charges its bytes and appends the events in one go', () =>
      withLedger(async (ledger, clock) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 1000 }]);
        const result = await importOne(ledger, importRequest('bk/legacy/x.txt', 'bk/legacy/x.txt', 120));
        assert.equal(result.outcome, 'imported');
        const { commit } = result as Extract<typeof result, { outcome: 'imported' }>;
        const got = await ledger.getObject('bk/legacy/x.txt');
        assert.ok(got);
        assert.deepEqual(
          { size: got.object.size, etag: got.object.etag, contentType: got.object.contentType, userMetadata: got.object.userMetadata, headers: got.object.headers },
          { size: 120, etag: 'found120', contentType: 'text/plain', userMetadata: { origin: 'legacy' }, headers: { cacheControl: 'no-cache' } },
        );
        assert.equal(got.object.createdAt, clock.now);
        assert.deepEqual(got.locations.map((l) => [l.backendName, l.storageKey, l.sizeBytes, l.state, l.writeId]),
          [['a', 'bk/legacy/x.txt', 120, 'ok', got.object.writeId]]);
        assert.deepEqual(commit.copies, got.locations);
        assert.deepEqual(commit.displaced, []);
        assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 1000, bytesUsed: 120, orphanBytes: 0, inflightBytes: 0 });
        const events = await allEvents(ledger);
        assert.deepEqual(events.map((e) => [e.type, e.resource, e.data.op, e.data.sequencer]),
          [['object.created', 'bk/legacy/x.txt', 'Import', commit.sequencer]]);
        // Listed like any other object.
        assert.deepEqual((await ledger.listRange({ from: 'bk/', to: 'bk0', limit: 10 })).map((e) => e.objectKey), ['bk/legacy/x.txt']);
        // The copy is a holding of the storage key, so verify and reconcile see it as known.
        assert.deepEqual((await ledger.findHoldings('a', 'bk/legacy/x.txt')).map((h) => [h.kind, h.objectKey]), [['copy', 'bk/legacy/x.txt']]);
      }));

    test('is idempotent: a second import of the same storage key changes nothing', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        assert.equal((await importOne(ledger, importRequest('bk/k', 'bk/k', 10))).outcome, 'imported');
        const before = await ledger.getObject('bk/k');
        assert.deepEqual(await importOne(ledger, importRequest('bk/k', 'bk/k', 10)), { outcome: 'held' });
        // Imported under another internal key (another bucket): the bytes still belong to the first.
        assert.deepEqual(await importOne(ledger, importRequest('other/k', 'bk/k', 10)), { outcome: 'held' });
        assert.deepEqual(await ledger.getObject('bk/k'), before);
        assert.equal(await ledger.getObject('other/k'), null);
        assert.equal((await quota(ledger, 'a')).bytesUsed, 10);
        assert.equal((await allEvents(ledger)).length, 1);
      }));

    test('never overwrites a live object: the key keeps its object and nothing is charged', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        const written = await put(ledger, 'bk/taken', 7, ['a']);
        const eventsBefore = (await allEvents(ledger)).length;
        assert.deepEqual(await importOne(ledger, importRequest('bk/taken', 'bk/taken', 99)), { outcome: 'exists' });
        const got = await ledger.getObject('bk/taken');
        assert.equal(got?.object.writeId, written.object.writeId);
        assert.deepEqual(got?.locations.map((l) => l.storageKey), [written.copies[0]!.storageKey]);
        assert.equal((await quota(ledger, 'a')).bytesUsed, 7);
        assert.equal((await allEvents(ledger)).length, eventsBefore);
      }));

    test('refuses storage keys an intent, a copy, a debt, a dead letter or an open upload accounts for', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }]);
        const inflight = await claimWrite(ledger, 'bk/inflight', 5, ['a']);
        assert.ok(inflight);
        assert.deepEqual(await importOne(ledger, importRequest('bk/other1', inflight.storageKey, 5)), { outcome: 'held' });
        const committed = await put(ledger, 'bk/committed', 6, ['a']);
        assert.deepEqual(await importOne(ledger, importRequest('bk/other2', committed.copies[0]!.storageKey, 6)), { outcome: 'held' });
        await ledger.enqueueCleanup([{ kind: 'object', backendName: 'a', storageKey: 'bk/owed', reason: 'test', sizeBytes: 3 }]);
        assert.deepEqual(await importOne(ledger, importRequest('bk/owed', 'bk/owed', 3)), { outcome: 'held' });
        await ledger.createUpload({
          uploadId: 'up-1', objectKey: 'bk/up', backendName: 'a', backendUploadId: 'backend-up-1', storageKey: 'bk/uploading',
          identity: { contentType: 'text/plain', userMetadata: {}, headers: {}, contentHash: null },
        });
        assert.deepEqual(await importOne(ledger, importRequest('bk/other3', 'bk/uploading', 1)), { outcome: 'held' });
        await ledger.enqueueCleanup([{ kind: 'object', backendName: 'a', storageKey: 'bk/refused', reason: 'test', sizeBytes: 2 }]);
        for (const row of await ledger.claimCleanup(10, Date.now() + 60_000, 1000)) {
          if (row.storageKey === 'bk/refused') await ledger.deadLetterCleanup(row.id, 'refused', []);
        }
        assert.equal((await ledger.findHoldings('a', 'bk/refused'))[0]?.kind, 'dead_letter');
        assert.deepEqual(await importOne(ledger, importRequest('bk/other4', 'bk/refused', 2)), { outcome: 'held' });
        // Holdings are per backend: the same key on another backend is not accounted for.
        assert.equal((await importOne(ledger, importRequest('bk/owed', 'bk/owed', 3, 'b'))).outcome, 'imported');
        for (const key of ['bk/other1', 'bk/other2', 'bk/other3', 'bk/other4']) assert.equal(await ledger.getObject(key), null);
      }));

    test('a batch is one transaction with an outcome per request, in order, each object with its own sequencer', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        await put(ledger, 'bk/live', 4, ['a']);
        const eventsBefore = (await allEvents(ledger)).length;
        const outcomes = await ledger.importObjects([
          importRequest('bk/one', 'bk/one', 1),
          importRequest('bk/two', 'bk/two', 2),
          importRequest('bk/again', 'bk/one', 1), // the first request of the batch took this storage key
          importRequest('bk/live', 'bk/live-found', 9),
        ]);
        assert.deepEqual(outcomes.map((o) => o.outcome), ['imported', 'imported', 'held', 'exists']);
        const sequencers = outcomes.flatMap((o) => (o.outcome === 'imported' ? [o.commit.sequencer] : []));
        assert.equal(new Set(sequencers).size, 2);
        const events = (await allEvents(ledger)).slice(eventsBefore);
        assert.deepEqual(events.map((e) => [e.resource, e.data.sequencer]), [['bk/one', sequencers[0]], ['bk/two', sequencers[1]]]);
        assert.equal((await quota(ledger, 'a')).bytesUsed, 4 + 1 + 2);
        assert.deepEqual(await ledger.importObjects([]), []);
      }));

    test('an unconfigured backend is refused', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        await assert.rejects(ledger.importObjects([importRequest('bk/ok', 'bk/ok', 1), importRequest('bk/x', 'bk/x', 1, 'nowhere')]), RangeError);
        assert.equal(await ledger.getObject('bk/ok'), null, 'the batch is one transaction');
        assert.equal(await ledger.getObject('bk/x'), null);
      }));

    test('listLostObjects: objects whose every copy is missing, by key, paged, with their copies; counted', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        const gone = await put(ledger, 'bk/z-gone', 3, ['a']);
        await put(ledger, 'bk/fine', 4, ['a']);
        await importOne(ledger, importRequest('bk/a-found', 'bk/a-found', 5));
        assert.equal(await ledger.markCopyMissing('bk/z-gone', 'a', gone.copies[0]!.storageKey), true);
        assert.equal(await ledger.markCopyMissing('bk/a-found', 'a', 'bk/a-found'), true);
        const all = await ledger.listLostObjects(null, 10);
        assert.deepEqual(all.map((o) => [o.objectKey, o.size, o.copies.map((c) => [c.backendName, c.storageKey, c.state])]), [
          ['bk/a-found', 5, [['a', 'bk/a-found', 'missing']]],
          ['bk/z-gone', 3, [['a', gone.copies[0]!.storageKey, 'missing']]],
        ]);
        assert.equal(all[1]!.writeId, gone.object.writeId);
        assert.equal(await ledger.countLostObjects(), 2);
        assert.deepEqual((await ledger.listLostObjects(null, 1)).map((o) => o.objectKey), ['bk/a-found']);
        assert.deepEqual((await ledger.listLostObjects('bk/a-found', 1)).map((o) => o.objectKey), ['bk/z-gone']);
        assert.deepEqual(await ledger.listLostObjects('bk/z-gone', 10), []);
        // Deleting a lost object is how an operator closes it.
        await ledger.deleteObject('bk/z-gone', () => []);
        assert.equal(await ledger.countLostObjects(), 1);
      }));

    test('no object is lost while every object has an ok copy', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        await importOne(ledger, importRequest('bk/k', 'bk/k', 10));
        await put(ledger, 'bk/p', 3, ['a']);
        assert.deepEqual(await ledger.listLostObjects(null, 10), []);
        assert.equal(await ledger.countLostObjects(), 0);
      }));

  describe('rebuildObjects', () => {
    const rebuilt = (objectKey: string, writeId: string, size: number, copies: Array<[string, string]>) => ({
      objectKey, writeId, createdAt: 1_700_000_000_000,
      identity: identity(size, { etag: `e${size}`, contentType: 'text/plain', userMetadata: { n: '1' }, headers: {}, tags: { t: 'v' } }),
      copies: copies.map(([backendName, storageKey]) => ({ backendName, storageKey })),
    });

    test('keeps the write id and time, records every copy, owes the rest and charges both; appends no event', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }]);
        const outcome = await ledger.rebuildObjects(
          [rebuilt('bk/k', '01JB0000000000000000000002', 10, [['a', 'bk/k!01JB0000000000000000000002'], ['b', 'bk/k!01JB0000000000000000000003']])],
          [{ kind: 'object', backendName: 'a', storageKey: 'bk/k!01JB0000000000000000000001', objectKey: 'bk/k', reason: 'rebuild-superseded', sizeBytes: 4 }],
        );
        assert.deepEqual(outcome, { objects: 1, copies: 2, debts: 1, alreadyThere: 0, otherWrite: [] });
        const got = await ledger.getObject('bk/k');
        assert.equal(got?.object.writeId, '01JB0000000000000000000002');
        assert.equal(got?.object.createdAt, 1_700_000_000_000);
        assert.deepEqual(got?.object.tags, { t: 'v' });
        assert.deepEqual(got?.locations.map((l) => [l.backendName, l.storageKey, l.writeId, l.sizeBytes]), [
          ['a', 'bk/k!01JB0000000000000000000002', '01JB0000000000000000000002', 10],
          ['b', 'bk/k!01JB0000000000000000000003', '01JB0000000000000000000002', 10],
        ]);
        assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 0, bytesUsed: 10, orphanBytes: 4, inflightBytes: 0 });
        assert.deepEqual(await quota(ledger, 'b'), { bytesLimit: 0, bytesUsed: 10, orphanBytes: 0, inflightBytes: 0 });
        assert.deepEqual((await ledger.listCleanup(null, 10)).map((d) => [d.storageKey, d.reason]), [['bk/k!01JB0000000000000000000001', 'rebuild-superseded']]);
        assert.equal((await allEvents(ledger)).filter((e) => e.type === 'object.created').length, 0);
      }));

    test('run again (an interrupted rebuild resumed): what is recorded stays, nothing is charged twice', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        const req = rebuilt('bk/k', '01JB0000000000000000000002', 10, [['a', 'bk/k!01JB0000000000000000000002']]);
        const debt = { kind: 'object' as const, backendName: 'a', storageKey: 'bk/old', objectKey: null, reason: 'rebuild-marker', sizeBytes: 0 };
        await ledger.rebuildObjects([req], [debt]);
        assert.deepEqual(await ledger.rebuildObjects([req], [debt]), { objects: 0, copies: 0, debts: 0, alreadyThere: 1, otherWrite: [] });
        assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 0, bytesUsed: 10, orphanBytes: 0, inflightBytes: 0 });
        assert.equal((await ledger.listCleanup(null, 10)).length, 1);
      }));

    test('a later run (a backend back that was missing) adds copies of the recorded write, never of another write of the key', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }]);
        await ledger.rebuildObjects([rebuilt('bk/k', '01JB0000000000000000000002', 10, [['a', 'bk/k!01JB0000000000000000000002']])], []);
        const later = await ledger.rebuildObjects([
          rebuilt('bk/k', '01JB0000000000000000000002', 10, [['a', 'bk/k!01JB0000000000000000000002'], ['b', 'bk/k!01JB0000000000000000000004']]),
        ], []);
        assert.deepEqual(later, { objects: 0, copies: 1, debts: 0, alreadyThere: 1, otherWrite: [] });
        const other = await ledger.rebuildObjects([rebuilt('bk/k', '01JB0000000000000000000009', 7, [['b', 'bk/k!01JB0000000000000000000009']])], []);
        assert.deepEqual(other, {
          objects: 0, copies: 0, debts: 0, alreadyThere: 1,
          otherWrite: [{ objectKey: 'bk/k', recorded: '01JB0000000000000000000002', found: '01JB0000000000000000000009' }],
        });
        const got = await ledger.getObject('bk/k');
        assert.deepEqual(got?.locations.map((l) => [l.backendName, l.storageKey]), [['a', 'bk/k!01JB0000000000000000000002'], ['b', 'bk/k!01JB0000000000000000000004']]);
        assert.deepEqual(await quota(ledger, 'b'), { bytesLimit: 0, bytesUsed: 10, orphanBytes: 0, inflightBytes: 0 });
      }));
  });

  describe('mergeObjects (rebuild --merge after a restore)', () => {
    const W1 = '01JB0000000000000000000001';
    const W2 = '01JB0000000000000000000002';
    const adopt = (objectKey: string, writeId: string, size: number, copies: Array<[string, string]>) => ({
      objectKey, writeId, createdAt: 1_700_000_000_000, identity: identity(size, { tags: { t: 'v' } }),
      copies: copies.map(([backendName, storageKey]) => ({ backendName, storageKey })),
    });

    test('a newer write replaces the object, its old copy is owed; a stale decision changes nothing', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }]);
        const old = await put(ledger, 'bk/k', 4, ['a']);
        const req = { objectKey: 'bk/k', expectWriteId: old.object.writeId, adopt: adopt('bk/k', `${'9'.repeat(26)}`, 10, [['b', 'bk/k!new']]) };
        assert.deepEqual(await ledger.mergeObjects([req], []), { adopted: 1, removed: 0, changed: 0, debts: 0 });
        const got = await ledger.getObject('bk/k');
        assert.equal(got?.object.writeId, '9'.repeat(26));
        assert.deepEqual(got?.object.tags, { t: 'v' });
        assert.deepEqual(got?.locations.map((l) => [l.backendName, l.storageKey, l.sizeBytes]), [['b', 'bk/k!new', 10]]);
        assert.deepEqual((await ledger.listCleanup(null, 10)).map((d) => [d.backendName, d.storageKey, d.reason, d.markerBackend]),
          [['a', old.copies[0]!.storageKey, 'restore-superseded', null]]);
        assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 0, bytesUsed: 0, orphanBytes: 4, inflightBytes: 0 });
        assert.deepEqual(await quota(ledger, 'b'), { bytesLimit: 0, bytesUsed: 10, orphanBytes: 0, inflightBytes: 0 });
        // The same decision again: the key no longer holds the write it was made on.
        assert.deepEqual(await ledger.mergeObjects([req], []), { adopted: 0, removed: 0, changed: 1, debts: 0 });
        assert.equal((await ledger.listCleanup(null, 10)).length, 1);
        assert.equal((await allEvents(ledger)).filter((e) => e.type === 'object.removed').length, 0);
      }));

    test('a key deleted since is removed; its copies are owed with the backend of their markers', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }]);
        const gone = await put(ledger, 'bk/gone', 4, ['a']);
        const markers = new Map([[gone.copies[0]!.storageKey, 'b']]);
        assert.deepEqual(await ledger.mergeObjects([{ objectKey: 'bk/gone', expectWriteId: gone.object.writeId, adopt: null, markersElsewhere: markers }], []),
          { adopted: 0, removed: 1, changed: 0, debts: 0 });
        assert.equal(await ledger.getObject('bk/gone'), null);
        assert.deepEqual((await ledger.listCleanup(null, 10)).map((d) => [d.backendName, d.reason, d.markerBackend]), [['a', 'deleted', 'b']]);
        assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 0, bytesUsed: 0, orphanBytes: 4, inflightBytes: 0 });
      }));

    test('the same write with its copies corrected keeps the copy it shares, uncharged twice; new keys are added, debts owed', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }]);
        const rec = await put(ledger, 'bk/k', 4, ['a']);
        const shared = rec.copies[0]!.storageKey;
        const outcome = await ledger.mergeObjects([
          { objectKey: 'bk/k', expectWriteId: rec.object.writeId, adopt: adopt('bk/k', rec.object.writeId, 4, [['a', shared], ['b', 'bk/k!replica']]) },
          { objectKey: 'bk/new', expectWriteId: null, adopt: adopt('bk/new', W2, 3, [['b', `bk/new!${W2}`]]) },
        ], [{ kind: 'object', backendName: 'b', storageKey: `bk/new!${W1}`, objectKey: 'bk/new', reason: 'restore-leftover', sizeBytes: 2 }]);
        assert.deepEqual(outcome, { adopted: 2, removed: 0, changed: 0, debts: 1 });
        assert.deepEqual((await ledger.getObject('bk/k'))?.locations.map((l) => [l.backendName, l.storageKey]), [['a', shared], ['b', 'bk/k!replica']]);
        assert.equal((await ledger.getObject('bk/new'))?.object.writeId, W2);
        assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 0, bytesUsed: 4, orphanBytes: 0, inflightBytes: 0 });
        assert.deepEqual(await quota(ledger, 'b'), { bytesLimit: 0, bytesUsed: 7, orphanBytes: 2, inflightBytes: 0 });
      }));

    test('a copy to adopt that an intent holds (a write in flight at the backup) is left to the reaper', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        const inFlight = await claimWrite(ledger, 'bk/flying', 5, ['a']);
        assert.ok(inFlight);
        const outcome = await ledger.mergeObjects([
          { objectKey: 'bk/flying', expectWriteId: null, adopt: adopt('bk/flying', inFlight.intentId, 5, [['a', inFlight.storageKey]]) },
        ], []);
        assert.deepEqual(outcome, { adopted: 0, removed: 0, changed: 1, debts: 0 });
        assert.equal(await ledger.getObject('bk/flying'), null);
      }));
  });
  });
}
