// The Ledger contract, part two: what the cleanup service and the admin API's verify rely on
// — the reaper's promote / reap, conditional deletes (lifecycle), stale uploads, the dead
// letter queue and the per-backend holdings. Runs inside runLedgerContract, on every engine.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId, type BackendHolding, type HoldingKind, type Ledger } from '../src/index.js';
import {
  allEvents, claimWrite, createdEvent, identity, put, quota, removedEvent, type WithLedger,
} from './contract-helpers.js';

const uploadIdentity = { contentType: 'application/zip', userMetadata: {}, headers: {}, contentHash: null };

async function openUpload(ledger: Ledger, uploadId: string, objectKey: string, backendName = 'a'): Promise<void> {
  await ledger.createUpload({
    uploadId, objectKey, backendName, backendUploadId: `backend-${uploadId}`, storageKey: `${objectKey}!${uploadId}`,
    identity: uploadIdentity,
  });
}

async function recordPart(ledger: Ledger, uploadId: string, partNumber: number, size: number): Promise<void> {
  assert.equal(await ledger.claimPart(uploadId, partNumber, size), true);
  await ledger.recordPart(uploadId, partNumber, `md5-${partNumber}`, `be-${partNumber}`, size);
}

/** Dead-letters every due row of the queue (one failed attempt each). */
async function deadLetterAll(ledger: Ledger, now: number): Promise<number[]> {
  const rows = await ledger.claimCleanup(100, now, 1000);
  for (const row of rows) {
    await ledger.deadLetterCleanup(row.id, `refused ${row.storageKey}`, [
      { type: 'cleanup.dead_lettered', resource: row.backendName, data: { version: 1, backend: row.backendName, storage_key: row.storageKey } },
    ]);
  }
  return rows.map((r) => r.id);
}

/** Every holding of one kind on a backend, read page by page. */
async function allHoldings(ledger: Ledger, backendName: string, kind: HoldingKind, pageSize: number): Promise<BackendHolding[]> {
  const out: BackendHolding[] = [];
  let after = null;
  for (;;) {
    const page = await ledger.listHoldings({ backendName, kind, after, limit: pageSize });
    out.push(...page);
    if (page.length < pageSize) return out;
    const last = page.at(-1)!;
    after = { storageKey: last.storageKey, rowId: last.rowId };
  }
}

export function describeRecoveryContract(withLedger: WithLedger): void {
  describe('the reaper: stale intents', () => {
    test('listStaleIntents: intents whose heartbeat is older than the cutoff, oldest first, paged', () =>
      withLedger(async (ledger, clock) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        const t0 = clock.now;
        const first = await claimWrite(ledger, 'bk/1', 1, ['a']);
        clock.now += 10;
        const second = await claimWrite(ledger, 'bk/2', 2, ['a']);
        const third = await claimWrite(ledger, 'bk/3', 3, ['a']); // same heartbeat as second: intent id breaks the tie
        clock.now += 10;
        const fresh = await claimWrite(ledger, 'bk/4', 4, ['a']);
        clock.now += 100;
        await ledger.heartbeat([first!.intentId]); // first is alive again
        assert.ok(first && second && third && fresh);

        const ids = (rows: Array<{ intentId: string }>) => rows.map((r) => r.intentId);
        assert.deepEqual(ids(await ledger.listStaleIntents(t0 + 20, null, 10)), [second.intentId, third.intentId]);
        assert.deepEqual(ids(await ledger.listStaleIntents(t0 + 21, null, 10)), [second.intentId, third.intentId, fresh.intentId]);
        const [page1] = await ledger.listStaleIntents(t0 + 21, null, 1);
        assert.ok(page1);
        assert.equal(page1.intentId, second.intentId);
        assert.deepEqual(
          ids(await ledger.listStaleIntents(t0 + 21, { heartbeatAt: page1.heartbeatAt, intentId: page1.intentId }, 10)),
          [third.intentId, fresh.intentId],
        );
        assert.deepEqual(await ledger.listStaleIntents(t0, null, 10), []);
        assert.deepEqual(await ledger.listStaleIntents(t0 + 21, null, 0), []);
      }));

    test('promoteIntent commits a stale write by the commit rule: object, copy, displaced copies owed, events', () =>
      withLedger(async (ledger, clock) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 1000 }, { name: 'b', quotaBytes: 1000 }]);
        const older = await put(ledger, 'bk/k', 40, ['a']);
        const claim = await claimWrite(ledger, 'bk/k', 25, ['b']);
        assert.ok(claim);
        clock.now += 60_000;
        const ident = identity(25, { etag: 'f'.repeat(32), contentType: 'text/plain', userMetadata: { from: 'reaper' } });
        const result = await ledger.promoteIntent({ intentId: claim.intentId, heartbeatBefore: clock.now, identity: ident, events: createdEvent });
        assert.equal(result.outcome, 'promoted');
        assert.ok(result.outcome === 'promoted');
        const expectedCopy = {
          objectKey: 'bk/k', backendName: 'b', storageKey: claim.storageKey, writeId: claim.intentId, sizeBytes: 25,
          createdAt: clock.now, state: 'ok' as const,
        };
        assert.deepEqual(result.commit.copies, [expectedCopy]);
        assert.deepEqual(result.commit.displaced, older.copies);
        assert.deepEqual(await ledger.getObject('bk/k'), {
          object: { ...ident, contentHash: null, objectKey: 'bk/k', writeId: claim.intentId, createdAt: clock.now },
          locations: [expectedCopy],
        });
        assert.equal(await ledger.getIntent(claim.intentId), null);
        assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 1000, bytesUsed: 0, orphanBytes: 40, inflightBytes: 0 });
        assert.deepEqual(await quota(ledger, 'b'), { bytesLimit: 1000, bytesUsed: 25, orphanBytes: 0, inflightBytes: 0 });
        const events = (await allEvents(ledger)).slice(-2);
        assert.deepEqual(events.map((e) => e.type), ['object.created', 'cleanup.enqueued']);
        assert.equal(events[0]!.sequencer, result.commit.sequencer);
        assert.equal(events[0]!.data.sequencer, result.commit.sequencer);
        assert.ok(result.commit.sequencer > older.sequencer);
      }));

    test('promoteIntent on a key a newer write committed: the intent\'s bytes become a debt, the object stays', () =>
      withLedger(async (ledger, clock) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 1000 }]);
        const stale = await claimWrite(ledger, 'bk/k', 30, ['a']);
        assert.ok(stale);
        const newer = await put(ledger, 'bk/k', 10, ['a']); // its intent id sorts after the stale one
        clock.now += 60_000;
        const eventsBefore = (await allEvents(ledger)).length;
        const result = await ledger.promoteIntent({ intentId: stale.intentId, heartbeatBefore: clock.now, identity: identity(30), events: createdEvent });
        assert.deepEqual(result, { outcome: 'superseded' });
        const got = await ledger.getObject('bk/k');
        assert.equal(got?.object.writeId, newer.object.writeId);
        assert.deepEqual(got?.locations, newer.copies);
        assert.equal(await ledger.getIntent(stale.intentId), null);
        assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 1000, bytesUsed: 10, orphanBytes: 30, inflightBytes: 0 });
        const [debt] = await ledger.claimCleanup(10, clock.now, 1000);
        assert.deepEqual(
          { storageKey: debt?.storageKey, reason: debt?.reason, sizeBytes: debt?.sizeBytes },
          { storageKey: stale.storageKey, reason: 'superseded', sizeBytes: 30 },
        );
        assert.deepEqual((await allEvents(ledger)).slice(eventsBefore).map((e) => e.type), ['cleanup.enqueued']);
      }));

    test('an intent whose heartbeat is fresh again, or that is gone, is skipped and left as it is', () =>
      withLedger(async (ledger, clock) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        const claim = await claimWrite(ledger, 'bk/live', 5, ['a']);
        assert.ok(claim);
        const cutoff = clock.now + 1;
        clock.now += 10;
        await ledger.heartbeat([claim.intentId]); // the upload is still running
        assert.deepEqual(
          await ledger.promoteIntent({ intentId: claim.intentId, heartbeatBefore: cutoff, identity: identity(5), events: createdEvent }),
          { outcome: 'skipped' },
        );
        assert.equal(await ledger.reapIntent({ intentId: claim.intentId, heartbeatBefore: cutoff, reason: 'x' }), 'skipped');
        assert.ok(await ledger.getIntent(claim.intentId));
        assert.equal(await ledger.getObject('bk/live'), null);
        assert.equal(await ledger.cleanupDepth(), 0);
        assert.deepEqual(
          await ledger.promoteIntent({ intentId: 'no-such-intent', heartbeatBefore: clock.now + 1, identity: identity(5), events: createdEvent }),
          { outcome: 'skipped' },
        );
        assert.deepEqual(await allEvents(ledger), []);
      }));

    test('reapIntent: the storage key becomes a debt whether or not bytes were found (a late request may still land)', () =>
      withLedger(async (ledger, clock) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 100 }]);
        const present = await claimWrite(ledger, 'bk/p', 30, ['a']);
        const absent = await claimWrite(ledger, 'bk/q', 20, ['a']);
        assert.ok(present && absent);
        clock.now += 1;
        assert.equal(await ledger.reapIntent({ intentId: present.intentId, heartbeatBefore: clock.now, reason: 'incomplete' }), 'owed');
        assert.equal(await ledger.reapIntent({ intentId: absent.intentId, heartbeatBefore: clock.now, reason: 'abandoned' }), 'owed');
        assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 100, bytesUsed: 0, orphanBytes: 50, inflightBytes: 0 });
        const debts = await ledger.claimCleanup(10, clock.now, 1000);
        assert.deepEqual(debts.map((d) => [d.storageKey, d.reason, d.sizeBytes]).sort(), [
          [present.storageKey, 'incomplete', 30], [absent.storageKey, 'abandoned', 20],
        ].sort());
        assert.deepEqual((await allEvents(ledger)).map((e) => e.type), ['cleanup.enqueued', 'cleanup.enqueued']);
        assert.equal(await ledger.reapIntent({ intentId: present.intentId, heartbeatBefore: clock.now, reason: 'again' }), 'skipped');
      }));

    test('replica and move intents are never promoted', () =>
      withLedger(async (ledger, clock) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        const intentId = newId();
        await ledger.claim({ intentId, kind: 'move', objectKey: 'bk/m', storageKey: `bk/m!${intentId}`, sizeBytes: 3, candidates: ['a'], identity: null });
        clock.now += 1;
        await assert.rejects(
          ledger.promoteIntent({ intentId, heartbeatBefore: clock.now, identity: identity(3), events: createdEvent }),
          TypeError,
        );
        assert.equal((await ledger.getIntent(intentId))?.kind, 'move', 'the refused promotion rolled back');
        assert.equal(await ledger.reapIntent({ intentId, heartbeatBefore: clock.now, reason: 'stale_move' }), 'owed');
      }));
  });

  describe('conditional delete (lifecycle)', () => {
    test('createdBefore deletes an old object and leaves one written since alone', () =>
      withLedger(async (ledger, clock) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        await put(ledger, 'bk/old', 7, ['a']);
        const cutoff = clock.now + 1;
        clock.now += 10;
        const fresh = await put(ledger, 'bk/fresh', 8, ['a']);
        const eventsBefore = (await allEvents(ledger)).length;

        const kept = await ledger.deleteObject('bk/fresh', removedEvent, { createdBefore: cutoff });
        assert.deepEqual(kept, { existed: true, removed: [], sequencer: null });
        assert.deepEqual((await ledger.getObject('bk/fresh'))?.locations, fresh.copies);
        assert.equal((await allEvents(ledger)).length, eventsBefore, 'nothing appended');

        const expired = await ledger.deleteObject('bk/old', removedEvent, { createdBefore: cutoff });
        assert.equal(expired.existed, true);
        assert.equal(expired.removed.length, 1);
        assert.ok(expired.sequencer);
        assert.equal(await ledger.getObject('bk/old'), null);
        assert.deepEqual((await allEvents(ledger)).slice(eventsBefore).map((e) => e.type), ['object.removed', 'cleanup.enqueued']);
        assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 0, bytesUsed: 8, orphanBytes: 7, inflightBytes: 0 });
      }));
  });

  describe('stale multipart uploads', () => {
    test('an upload is stale when it and all its parts are older than the cutoff', () =>
      withLedger(async (ledger, clock) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        await openUpload(ledger, 'u-idle', 'bk/idle');
        await recordPart(ledger, 'u-idle', 1, 5);
        await openUpload(ledger, 'u-busy', 'bk/busy');
        await openUpload(ledger, 'u-empty', 'bk/empty');
        clock.now += 1000;
        const cutoff = clock.now;
        await recordPart(ledger, 'u-busy', 1, 5); // a part since the cutoff: still in use
        await openUpload(ledger, 'u-young', 'bk/young');
        clock.now += 1000;
        assert.deepEqual((await ledger.listStaleUploads(cutoff, 10)).map((u) => u.uploadId).sort(), ['u-empty', 'u-idle']);
        assert.equal((await ledger.listStaleUploads(cutoff, 1)).length, 1);
        assert.deepEqual(await ledger.listStaleUploads(cutoff - 1000, 10), []);

        assert.equal(await ledger.abortMultipart('u-idle', 'stale'), true);
        assert.deepEqual((await ledger.listStaleUploads(cutoff, 10)).map((u) => u.uploadId), ['u-empty']);
        assert.equal((await quota(ledger, 'a')).orphanBytes, 5);
      }));
  });

  describe('dead letters', () => {
    test('the marker backend of a deleted copy survives the dead-letter queue and a requeue', () =>
      withLedger(async (ledger, clock) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        await ledger.enqueueCleanup([
          { kind: 'object', backendName: 'a', storageKey: 'bk/x!1', objectKey: 'bk/x', reason: 'deleted', sizeBytes: 4, markerBackend: 'b' },
        ]);
        const ids = await deadLetterAll(ledger, clock.now);
        assert.deepEqual((await ledger.listDeadLetters(null, 10)).map((d) => d.markerBackend), ['b']);
        assert.equal(await ledger.requeueDeadLetters(ids), 1);
        assert.deepEqual((await ledger.listCleanup(null, 10)).map((d) => [d.storageKey, d.markerBackend]), [['bk/x!1', 'b']]);
      }));

    test('deadLetterCleanup counts the failed attempt; the DLQ lists by id, paged', () =>
      withLedger(async (ledger, clock) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        await ledger.enqueueCleanup([
          { kind: 'object', backendName: 'a', storageKey: 'bk/x!1', objectKey: 'bk/x', reason: 'deleted', sizeBytes: 4 },
          { kind: 'multipart_upload', backendName: 'a', storageKey: 'bk/y!2', backendUploadId: 'bu', reason: 'stale', sizeBytes: 6 },
        ]);
        const [x] = await ledger.claimCleanup(1, clock.now, 1000);
        assert.ok(x);
        await ledger.failCleanup(x.id, 'timeout', clock.now);
        assert.deepEqual((await ledger.listCleanup(null, 10)).map((r) => [r.storageKey, r.attempts]), [['bk/x!1', 1], ['bk/y!2', 0]]);
        clock.now += 5;
        const ids = await deadLetterAll(ledger, clock.now);
        assert.equal(ids.length, 2);
        assert.equal(await ledger.cleanupDepth(), 0);
        assert.equal(await ledger.deadLetterDepth(), 2);
        const dlq = await ledger.listDeadLetters(null, 10);
        assert.deepEqual(dlq.map((r) => ({ ...r, id: 0 })), [
          {
            id: 0, kind: 'object', backendName: 'a', storageKey: 'bk/x!1', backendUploadId: null, objectKey: 'bk/x',
            reason: 'deleted', sizeBytes: 4, attempts: 2, lastError: 'refused bk/x!1', createdAt: clock.now - 5, movedAt: clock.now, markerBackend: null,
          },
          {
            id: 0, kind: 'multipart_upload', backendName: 'a', storageKey: 'bk/y!2', backendUploadId: 'bu', objectKey: null,
            reason: 'stale', sizeBytes: 6, attempts: 1, lastError: 'refused bk/y!2', createdAt: clock.now - 5, movedAt: clock.now, markerBackend: null,
          },
        ]);
        assert.deepEqual((await ledger.listDeadLetters(dlq[0]!.id, 10)).map((r) => r.id), [dlq[1]!.id]);
        assert.deepEqual((await ledger.listDeadLetters(null, 1)).map((r) => r.id), [dlq[0]!.id]);
        assert.equal((await quota(ledger, 'a')).orphanBytes, 10, 'dead letters stay charged');
        assert.deepEqual((await ledger.listCleanup(null, 10)), []);
      }));

    test('requeue moves dead letters back under their ids: attempts 0, due now, orphan bytes unchanged, workers woken', () =>
      withLedger(async (ledger, clock) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }]);
        await ledger.enqueueCleanup([
          { kind: 'object', backendName: 'a', storageKey: 'k1', reason: 'r', sizeBytes: 1 },
          { kind: 'object', backendName: 'a', storageKey: 'k2', reason: 'r', sizeBytes: 2 },
          { kind: 'object', backendName: 'b', storageKey: 'k3', reason: 'r', sizeBytes: 3 },
        ]);
        const [id1, id2, id3] = await deadLetterAll(ledger, clock.now) as [number, number, number];
        clock.now += 1000;
        const eventsBefore = (await allEvents(ledger)).length;

        assert.equal(await ledger.requeueDeadLetters([id2, id2, 999_999]), 1, 'duplicates and unknown ids are ignored');
        const [back] = await ledger.claimCleanup(10, clock.now, 1000);
        assert.deepEqual(
          { id: back?.id, attempts: back?.attempts, nextRetry: back?.nextRetry, lastError: back?.lastError, sizeBytes: back?.sizeBytes },
          { id: id2, attempts: 0, nextRetry: clock.now, lastError: 'refused k2', sizeBytes: 2 },
        );
        assert.deepEqual((await ledger.listDeadLetters(null, 10)).map((r) => r.id), [id1, id3]);
        assert.equal(await ledger.requeueDeadLetters(null), 2);
        assert.equal(await ledger.deadLetterDepth(), 0);
        assert.deepEqual((await ledger.listCleanup(null, 10)).map((r) => r.id), [id1, id2, id3]);
        assert.equal(await ledger.requeueDeadLetters(null), 0);
        assert.equal(await ledger.requeueDeadLetters([]), 0);
        assert.equal((await quota(ledger, 'a')).orphanBytes, 3);
        assert.equal((await quota(ledger, 'b')).orphanBytes, 3);
        assert.deepEqual(
          (await allEvents(ledger)).slice(eventsBefore).map((e) => [e.type, e.data]),
          [
            ['cleanup.enqueued', { version: 1, backend: 'a', count: 1 }],
            ['cleanup.enqueued', { version: 1, backend: 'a', count: 1 }],
            ['cleanup.enqueued', { version: 1, backend: 'b', count: 1 }],
          ],
        );
        // Requeued debts complete like any other: the orphan bytes are released once.
        for (const row of await ledger.claimCleanup(10, clock.now + 2000, 1000)) await ledger.completeCleanup(row.id);
        assert.equal((await quota(ledger, 'a')).orphanBytes, 0);
      }));

    test('discard forgets named dead letters and releases their orphan bytes once; nothing else changes', () =>
      withLedger(async (ledger, clock) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }]);
        await ledger.enqueueCleanup([
          { kind: 'multipart_upload', backendName: 'a', storageKey: 'k1', backendUploadId: 'u1', reason: 'aborted', sizeBytes: 5 },
          { kind: 'object', backendName: 'a', storageKey: 'k2', reason: 'r', sizeBytes: 2 },
          { kind: 'object', backendName: 'b', storageKey: 'k3', reason: 'r', sizeBytes: 3 },
        ]);
        const [id1, id2, id3] = await deadLetterAll(ledger, clock.now) as [number, number, number];
        const eventsBefore = (await allEvents(ledger)).length;

        assert.equal(await ledger.discardDeadLetters([id1, id1, id3, 999_999]), 2, 'duplicates and unknown ids are ignored');
        assert.deepEqual((await ledger.listDeadLetters(null, 10)).map((r) => r.id), [id2]);
        assert.equal((await quota(ledger, 'a')).orphanBytes, 2, 'the discarded 5 bytes are released, the kept 2 stay charged');
        assert.equal((await quota(ledger, 'b')).orphanBytes, 0);
        assert.equal(await ledger.discardDeadLetters([id1, id3]), 0, 'a second discard releases nothing');
        assert.equal((await quota(ledger, 'a')).orphanBytes, 2);
        assert.equal(await ledger.discardDeadLetters([]), 0);
        assert.deepEqual(await ledger.listCleanup(null, 10), [], 'nothing went back to the queue');
        assert.equal((await allEvents(ledger)).length, eventsBefore, 'no event: nothing is left for a worker to do');
      }));

    test('queue ids are never reused, so a later dead letter never collides with an earlier one', () =>
      withLedger(async (ledger, clock) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        const ids: number[] = [];
        for (const key of ['first', 'second', 'third']) {
          await ledger.enqueueCleanup([{ kind: 'object', backendName: 'a', storageKey: key, reason: 'r', sizeBytes: 1 }]);
          ids.push(...(await deadLetterAll(ledger, clock.now)));
        }
        assert.equal(new Set(ids).size, 3);
        assert.deepEqual((await ledger.listDeadLetters(null, 10)).map((r) => r.storageKey), ['first', 'second', 'third']);
        await ledger.requeueDeadLetters(null);
        await ledger.enqueueCleanup([{ kind: 'object', backendName: 'a', storageKey: 'fourth', reason: 'r', sizeBytes: 1 }]);
        assert.equal(new Set((await ledger.listCleanup(null, 10)).map((r) => r.id)).size, 4);
      }));
  });

  describe('holdings (verify)', () => {
    test('every kind of record that accounts for a storage key, per backend, paged in storage-key order', () =>
      withLedger(async (ledger, clock) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }]);
        const copies = [];
        for (const key of ['bk/c', 'bk/a', 'bk/é', 'bk/b', 'bk/Z']) copies.push(await put(ledger, key, key.length, ['a']));
        await put(ledger, 'bk/on-b', 1, ['b']);
        const intent = await claimWrite(ledger, 'bk/pending', 9, ['a']);
        assert.ok(intent);
        await ledger.enqueueCleanup([
          { kind: 'object', backendName: 'a', storageKey: 'bk/owed!1', objectKey: 'bk/owed', reason: 'r', sizeBytes: 11 },
          { kind: 'object', backendName: 'a', storageKey: 'bk/owed!1', objectKey: 'bk/owed', reason: 'again', sizeBytes: 11 },
          { kind: 'object', backendName: 'a', storageKey: 'bk/dead!1', reason: 'r', sizeBytes: 12 },
        ]);
        const due = await ledger.claimCleanup(10, clock.now, 1000);
        const dead = due.find((r) => r.storageKey === 'bk/dead!1')!;
        await ledger.deadLetterCleanup(dead.id, 'refused', []);
        await openUpload(ledger, 'up1', 'bk/big');
        await recordPart(ledger, 'up1', 1, 13);
        await recordPart(ledger, 'up1', 2, 14);

        const copyKeys = copies.map((c) => c.copies[0]!.storageKey).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
        const listedCopies = await allHoldings(ledger, 'a', 'copy', 2);
        assert.deepEqual(listedCopies.map((h) => h.storageKey), copyKeys, 'byte order across pages');
        assert.deepEqual(listedCopies.find((h) => h.objectKey === 'bk/é'), {
          kind: 'copy', storageKey: copies[2]!.copies[0]!.storageKey, rowId: 'bk/é', objectKey: 'bk/é', sizeBytes: 'bk/é'.length,
        });
        assert.deepEqual(await allHoldings(ledger, 'a', 'intent', 1), [
          { kind: 'intent', storageKey: intent.storageKey, rowId: intent.intentId, objectKey: 'bk/pending', sizeBytes: 9 },
        ]);
        const debts = await allHoldings(ledger, 'a', 'debt', 1);
        assert.deepEqual(debts.map((h) => [h.storageKey, h.sizeBytes]), [['bk/owed!1', 11], ['bk/owed!1', 11]], 'a key owed twice pages by id');
        assert.ok(Number(debts[0]!.rowId) < Number(debts[1]!.rowId));
        assert.deepEqual(await allHoldings(ledger, 'a', 'dead_letter', 5), [
          { kind: 'dead_letter', storageKey: 'bk/dead!1', rowId: String(dead.id), objectKey: null, sizeBytes: 12 },
        ]);
        assert.deepEqual(await allHoldings(ledger, 'a', 'upload', 5), [
          { kind: 'upload', storageKey: 'bk/big!up1', rowId: 'up1', objectKey: 'bk/big', sizeBytes: 27 },
        ]);
        assert.deepEqual((await allHoldings(ledger, 'b', 'copy', 5)).map((h) => h.objectKey), ['bk/on-b']);
        assert.deepEqual(await allHoldings(ledger, 'b', 'debt', 5), []);
        assert.deepEqual(await allHoldings(ledger, 'nobody', 'copy', 5), []);

        assert.deepEqual((await ledger.findHoldings('a', 'bk/owed!1')).map((h) => h.kind), ['debt', 'debt']);
        assert.deepEqual((await ledger.findHoldings('a', intent.storageKey)).map((h) => h.kind), ['intent']);
        assert.deepEqual((await ledger.findHoldings('a', copyKeys[0]!)).map((h) => h.kind), ['copy']);
        assert.deepEqual(await ledger.findHoldings('b', copyKeys[0]!), [], 'per backend');
        assert.deepEqual(await ledger.findHoldings('a', 'bk/nothing'), []);
      }));
  });
}
