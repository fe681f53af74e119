// The Ledger contract: one suite every engine must pass (docs/architecture.md §8 "the same store contract
// suite runs against both engines"). An engine's test file calls runLedgerContract with a
// factory that opens a fresh, empty ledger per test.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  InvalidPartError, InvalidPartOrderError, NoSuchIntentError, NoSuchUploadError, PreconditionFailedError, TooManyUploadsError,
  newId, markerBackendOf, compositeSha256,
  type CommitResult, type Ledger, type StoredEvent,
} from '../src/index.js';
import {
  FakeClock, SOURCE, allEvents, byteOrder, claimWrite, createdEvent, identity, put, quota, removedEvent,
} from './contract-helpers.js';
import { describeRecoveryContract } from './contract-recovery.js';
import { describePlacementContract } from './contract-placement.js';
import { describeDrainContract } from './contract-drains.js';
import { describeImportContract } from './contract-import.js';
import { describeNotificationContract } from './contract-notifications.js';
import { describeUsageContract } from './contract-usage.js';
import { describeStatsContract } from './contract-stats.js';
import { describeTxWorkContract } from './contract-tx-work.js';
import { describeIdentityContract } from './contract-identity.js';
import { describeEventPruningContract } from './contract-event-pruning.js';
import { describeEncryptionContract } from './contract-encryption.js';

export interface MakeLedgerOptions {
  /** `source` the ledger must stamp on its events */
  source: string;
  /** epoch ms clock the ledger must use */
  clock?: () => number;
}

export interface LedgerUnderTest {
  ledger: Ledger;
  /** close the ledger and remove everything the factory created */
  cleanup: () => Promise<void>;
}

export type MakeLedger = (options: MakeLedgerOptions) => Promise<LedgerUnderTest>;

export function runLedgerContract(name: string, makeLedger: MakeLedger): void {
  /** Runs `fn` against a fresh ledger and always cleans up. */
  async function withLedger(fn: (ledger: Ledger, clock: FakeClock) => Promise<void>): Promise<void> {
    const clock = new FakeClock();
    const { ledger, cleanup } = await makeLedger({ source: SOURCE, clock: clock.read });
    try {
      await fn(ledger, clock);
    } finally {
      await cleanup();
    }
  }

  describe(`Ledger contract: ${name}`, () => {
    describeRecoveryContract(withLedger);
    describePlacementContract(withLedger);
    describeDrainContract(withLedger);
    describeImportContract(withLedger);
    describeNotificationContract(withLedger);
    describeUsageContract(withLedger);
    describeStatsContract(withLedger);
    describeTxWorkContract(withLedger);
    describeIdentityContract(withLedger);
    describeEventPruningContract(withLedger);
    describeEncryptionContract(withLedger);

    describe('claim', () => {
      test('packs into the first candidate with room, in candidate order', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 100 }, { name: 'b', quotaBytes: 100 }]);
          assert.equal((await claimWrite(ledger, 'bk/1', 60, ['a', 'b']))?.backendName, 'a');
          assert.equal((await claimWrite(ledger, 'bk/2', 60, ['a', 'b']))?.backendName, 'b');
          assert.equal((await claimWrite(ledger, 'bk/3', 40, ['a', 'b']))?.backendName, 'a');
          assert.equal((await claimWrite(ledger, 'bk/4', 40, ['b', 'a']))?.backendName, 'b');
          assert.equal(await claimWrite(ledger, 'bk/5', 1, ['a', 'b']), null);
          assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 100, bytesUsed: 0, orphanBytes: 0, inflightBytes: 100 });
        }));

      test('a claim of exactly the free bytes succeeds, one byte more does not', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 100 }]);
          await put(ledger, 'bk/used', 30, ['a']);
          assert.equal(await claimWrite(ledger, 'bk/x', 71, ['a']), null);
          assert.ok(await claimWrite(ledger, 'bk/x', 70, ['a']));
          assert.equal(await claimWrite(ledger, 'bk/y', 1, ['a']), null);
          assert.ok(await claimWrite(ledger, 'bk/empty', 0, ['a']), 'a zero-byte object fits a full backend');
        }));

      test('skips full and unknown backends; null when none has room, nothing recorded', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'small', quotaBytes: 10 }, { name: 'big', quotaBytes: 1000 }]);
          const claim = await claimWrite(ledger, 'bk/k', 500, ['unknown', 'small', 'big']);
          assert.equal(claim?.backendName, 'big');
          assert.equal(await claimWrite(ledger, 'bk/k2', 600, ['unknown', 'small', 'big']), null);
          assert.equal((await quota(ledger, 'small')).inflightBytes, 0);
          assert.equal((await quota(ledger, 'big')).inflightBytes, 500);
          assert.equal((await ledger.getQuotas()).some((q) => q.backendName === 'unknown'), false);
        }));

      test('quota 0 is unlimited, and large sizes stay exact', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'u', quotaBytes: 0 }]);
          const big = Number.MAX_SAFE_INTEGER - 1;
          await put(ledger, 'bk/huge', big, ['u']);
          await put(ledger, 'bk/one', 1, ['u']);
          assert.deepEqual(await quota(ledger, 'u'), { bytesLimit: 0, bytesUsed: big + 1, orphanBytes: 0, inflightBytes: 0 });
          assert.equal((await ledger.getObject('bk/huge'))?.object.size, big);
        }));

      test('orphan bytes and in-flight bytes (intents and multipart parts) count against the quota', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 100 }]);
          await put(ledger, 'bk/k', 20, ['a']);
          await put(ledger, 'bk/k', 10, ['a']); // the first copy becomes 20 orphan bytes
          const pending = await claimWrite(ledger, 'bk/p', 15, ['a']);
          assert.ok(pending);
          await ledger.createUpload({
            uploadId: 'up-1', objectKey: 'bk/m', backendName: 'a', backendUploadId: 'b-up-1', storageKey: 'bk/m!up-1',
            identity: { contentType: 'text/plain', userMetadata: {}, headers: {} },
          });
          assert.equal(await ledger.claimPart('up-1', 1, 25), true);
          assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 100, bytesUsed: 10, orphanBytes: 20, inflightBytes: 40 });
          // 100 - 10 - 20 - 40 = 30 free
          assert.equal(await claimWrite(ledger, 'bk/q', 31, ['a']), null);
          assert.ok(await claimWrite(ledger, 'bk/q', 30, ['a']));
          // ...and the part reservation is released by releasePart.
          await ledger.releasePart('up-1', 1);
          assert.equal((await quota(ledger, 'a')).inflightBytes, 45);
        }));

      test('syncBackends inserts missing backends and updates limits, keeping the charged bytes', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 100 }]);
          await put(ledger, 'bk/k', 40, ['a']);
          await ledger.syncBackends([{ name: 'a', quotaBytes: 50 }, { name: 'b', quotaBytes: 7 }]);
          assert.deepEqual(await ledger.getQuotas(), [
            { backendName: 'a', bytesLimit: 50, bytesUsed: 40, orphanBytes: 0, inflightBytes: 0 },
            { backendName: 'b', bytesLimit: 7, bytesUsed: 0, orphanBytes: 0, inflightBytes: 0 },
          ]);
        }));

      test('records the intent with its identity; heartbeat refreshes heartbeat_at only', () =>
        withLedger(async (ledger, clock) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
          const created = clock.now;
          const id = newId();
          const ident = identity(5, { contentType: 'text/plain', userMetadata: { owner: 'me' }, headers: { cacheControl: 'no-cache' } });
          await ledger.claim({
            intentId: id, kind: 'write', objectKey: 'bk/h', storageKey: `bk/h!${id}`, sizeBytes: 5, candidates: ['a'], identity: ident,
          });
          clock.now += 5000;
          await ledger.heartbeat([id, 'not-an-intent']);
          await ledger.heartbeat([]);
          assert.deepEqual(await ledger.getIntent(id), {
            intentId: id, kind: 'write', objectKey: 'bk/h', backendName: 'a', storageKey: `bk/h!${id}`, sizeBytes: 5,
            identity: ident, createdAt: created, heartbeatAt: created + 5000,
          });
          assert.equal(await ledger.getIntent('missing'), null);
        }));
    });

    describe('commit', () => {
      test('records the object, its copy and bytes_used; ends the intent', () =>
        withLedger(async (ledger, clock) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 1000 }]);
          const claim = await claimWrite(ledger, 'bk/file.txt', 42, ['a']);
          assert.ok(claim);
          const ident = identity(42, {
            etag: '9e107d9d372bb6826bd81d3542a419d6',
            contentType: 'text/plain',
            userMetadata: { colour: 'blue' },
            headers: { cacheControl: 'max-age=60', contentDisposition: 'inline', contentEncoding: 'gzip', contentLanguage: 'en', expires: 'Wed, 21 Oct 2015 07:28:00 GMT' },
            contentHash: 'ab'.repeat(32),
          });
          const result = await ledger.commitWrite({ intentId: claim.intentId, identity: ident, events: createdEvent });
          const expectedObject = { ...ident, objectKey: 'bk/file.txt', writeId: claim.intentId, createdAt: clock.now };
          const expectedCopy = {
            objectKey: 'bk/file.txt', backendName: 'a', storageKey: claim.storageKey, writeId: claim.intentId,
            sizeBytes: 42, createdAt: clock.now, state: 'ok' as const,
          };
          assert.deepEqual(result.object, expectedObject);
          assert.deepEqual(result.copies, [expectedCopy]);
          assert.deepEqual(result.displaced, []);
          assert.deepEqual(await ledger.getObject('bk/file.txt'), { object: expectedObject, locations: [expectedCopy] });
          assert.equal(await ledger.getIntent(claim.intentId), null);
          assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 1000, bytesUsed: 42, orphanBytes: 0, inflightBytes: 0 });
          assert.equal(await ledger.cleanupDepth(), 0);
        }));

      test('an overwrite turns the copies of the previous write into debts and orphan bytes', () =>
        withLedger(async (ledger, clock) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 1000 }, { name: 'b', quotaBytes: 1000 }]);
          const first = await put(ledger, 'bk/k', 100, ['a']);
          const second = await put(ledger, 'bk/k', 30, ['b']);
          assert.deepEqual(second.displaced, first.copies);
          assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 1000, bytesUsed: 0, orphanBytes: 100, inflightBytes: 0 });
          assert.deepEqual(await quota(ledger, 'b'), { bytesLimit: 1000, bytesUsed: 30, orphanBytes: 0, inflightBytes: 0 });
          const got = await ledger.getObject('bk/k');
          assert.deepEqual(got?.locations, second.copies);
          assert.equal(got?.object.writeId, second.object.writeId);
          const debts = await ledger.claimCleanup(10, clock.now, 1000);
          assert.equal(debts.length, 1);
          assert.deepEqual(
            { ...debts[0], id: 0 },
            {
              id: 0, kind: 'object', backendName: 'a', storageKey: first.copies[0]!.storageKey, backendUploadId: null,
              objectKey: 'bk/k', reason: 'overwritten', sizeBytes: 100, attempts: 0, nextRetry: clock.now, lastError: null,
              createdAt: clock.now, inDoubt: false, markerBackend: null,
            },
          );
          // A third write on the same backend as the second displaces it too; the debts add up.
          await put(ledger, 'bk/k', 5, ['b']);
          assert.deepEqual(await quota(ledger, 'b'), { bytesLimit: 1000, bytesUsed: 5, orphanBytes: 30, inflightBytes: 0 });
          assert.equal(await ledger.cleanupDepth(), 2);
        }));

      test('appends the events with the sequencer, then cleanup.enqueued per backend owed', () =>
        withLedger(async (ledger, clock) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }]);
          const first = await put(ledger, 'bk/k', 10, ['a']);
          let seen: CommitResult | null = null;
          const claim = await claimWrite(ledger, 'bk/k', 20, ['b']);
          assert.ok(claim);
          const second = await ledger.commitWrite({
            intentId: claim.intentId,
            identity: identity(20),
            events: (o) => {
              seen = o;
              return [{ type: 'object.created', resource: o.object.objectKey, data: { version: 1, mine: true }, traceparent: '00-aa-bb-01' }];
            },
          });
          assert.deepEqual(seen, second, 'the event builder sees what the commit returns');
          assert.match(second.sequencer, /^[0-9a-f]{16}$/);
          assert.ok(second.sequencer > first.sequencer);

          const events = await allEvents(ledger);
          assert.deepEqual(events.map((e) => e.type), ['object.created', 'object.created', 'cleanup.enqueued']);
          const [e1, e2, e3] = events as [StoredEvent, StoredEvent, StoredEvent];
          assert.ok(e1.seq < e2.seq && e2.seq < e3.seq);
          assert.equal(e1.sequencer, first.sequencer);
          assert.equal(e1.data.sequencer, first.sequencer);
          assert.deepEqual(e1.data.displaced, []);
          assert.equal(e2.sequencer, second.sequencer);
          assert.deepEqual(e2.data, { version: 1, mine: true, sequencer: second.sequencer });
          assert.equal(e2.traceparent, '00-aa-bb-01');
          assert.equal(e2.resource, 'bk/k');
          assert.equal(e2.source, SOURCE);
          assert.equal(e2.time, new Date(clock.now).toISOString());
          assert.equal(e2.publishedAt, null);
          assert.match(e2.id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
          assert.deepEqual({ resource: e3.resource, data: e3.data }, { resource: 'a', data: { version: 1, backend: 'a', count: 1 } });
          assert.equal(new Set(events.map((e) => e.id)).size, 3);
        }));

      test('If-None-Match: * creates a new key, and on an existing key fails with the new bytes owed', () =>
        withLedger(async (ledger, clock) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 1000 }]);
          const created = await claimWrite(ledger, 'bk/once', 10, ['a']);
          assert.ok(created);
          const ok = await ledger.commitWrite({ intentId: created.intentId, identity: identity(10), ifNoneMatchStar: true, events: createdEvent });
          assert.equal(ok.object.writeId, created.intentId);

          const late = await claimWrite(ledger, 'bk/once', 25, ['a']);
          assert.ok(late);
          const eventsBefore = (await allEvents(ledger)).length;
          await assert.rejects(
            ledger.commitWrite({ intentId: late.intentId, identity: identity(25), ifNoneMatchStar: true, events: createdEvent }),
            PreconditionFailedError,
          );
          const got = await ledger.getObject('bk/once');
          assert.equal(got?.object.writeId, created.intentId, 'the existing object is untouched');
          assert.deepEqual(got?.locations.map((l) => l.storageKey), [created.storageKey]);
          assert.equal(await ledger.getIntent(late.intentId), null, 'the intent is removed');
          assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 1000, bytesUsed: 10, orphanBytes: 25, inflightBytes: 0 });
          const [debt] = await ledger.claimCleanup(10, clock.now, 1);
          assert.equal(debt?.storageKey, late.storageKey);
          assert.equal(debt?.sizeBytes, 25);
          const newEvents = (await allEvents(ledger)).slice(eventsBefore);
          assert.deepEqual(newEvents.map((e) => e.type), ['cleanup.enqueued'], 'no object.created for a failed precondition');
        }));

      test('commit of an intent that is gone throws NoSuchIntentError and changes nothing', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 100 }]);
          const claim = await claimWrite(ledger, 'bk/k', 10, ['a']);
          assert.ok(claim);
          await ledger.dropIntent(claim.intentId);
          await assert.rejects(
            ledger.commitWrite({ intentId: claim.intentId, identity: identity(10), events: createdEvent }),
            NoSuchIntentError,
          );
          assert.equal(await ledger.getObject('bk/k'), null);
          assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 100, bytesUsed: 0, orphanBytes: 0, inflightBytes: 0 });
        }));

      test('a replica intent cannot be committed as a write', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
          const intentId = newId();
          await ledger.claim({ intentId, kind: 'replica', objectKey: 'bk/r', storageKey: 'bk/r!x', sizeBytes: 1, candidates: ['a'], identity: null });
          await assert.rejects(ledger.commitWrite({ intentId, identity: identity(1), events: createdEvent }), TypeError);
          assert.equal((await ledger.getIntent(intentId))?.kind, 'replica', 'the failed commit rolled back');
        }));

      test('a commit whose event builder throws leaves no trace (one transaction)', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }]);
          const first = await put(ledger, 'bk/k', 10, ['a']);
          const claim = await claimWrite(ledger, 'bk/k', 20, ['b']);
          assert.ok(claim);
          const before = { quotas: await ledger.getQuotas(), events: await allEvents(ledger), depth: await ledger.cleanupDepth() };
          await assert.rejects(
            ledger.commitWrite({ intentId: claim.intentId, identity: identity(20), events: () => { throw new Error('builder failed'); } }),
            /builder failed/,
          );
          assert.deepEqual(await ledger.getQuotas(), before.quotas);
          assert.deepEqual(await allEvents(ledger), before.events);
          assert.equal(await ledger.cleanupDepth(), before.depth);
          assert.deepEqual((await ledger.getObject('bk/k'))?.locations, first.copies);
          assert.ok(await ledger.getIntent(claim.intentId), 'the intent is still there to retry or reap');
        }));

      test('interleaved writers of one key: the later commit wins and has the larger sequencer', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
          const early = await claimWrite(ledger, 'bk/k', 1, ['a']);
          const late = await claimWrite(ledger, 'bk/k', 2, ['a']);
          assert.ok(early && late);
          const lateResult = await ledger.commitWrite({ intentId: late.intentId, identity: identity(2), events: createdEvent });
          const earlyResult = await ledger.commitWrite({ intentId: early.intentId, identity: identity(1), events: createdEvent });
          assert.ok(earlyResult.sequencer > lateResult.sequencer);
          assert.equal((await ledger.getObject('bk/k'))?.object.writeId, early.intentId);
          assert.deepEqual(earlyResult.displaced.map((l) => l.writeId), [late.intentId]);
        }));
    });

    describe('delete', () => {
      test('removes the object, owes every copy, appends object.removed; a second delete is a no-op', () =>
        withLedger(async (ledger, clock) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 1000 }]);
          const written = await put(ledger, 'bk/gone', 64, ['a']);
          const result = await ledger.deleteObject('bk/gone', removedEvent);
          assert.equal(result.existed, true);
          assert.deepEqual(result.removed, written.copies);
          assert.ok(result.sequencer && result.sequencer > written.sequencer);
          assert.equal(await ledger.getObject('bk/gone'), null);
          assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 1000, bytesUsed: 0, orphanBytes: 64, inflightBytes: 0 });
          const [debt] = await ledger.claimCleanup(10, clock.now, 1000);
          assert.deepEqual(
            { kind: debt?.kind, storageKey: debt?.storageKey, reason: debt?.reason, sizeBytes: debt?.sizeBytes, objectKey: debt?.objectKey },
            { kind: 'object', storageKey: written.copies[0]!.storageKey, reason: 'deleted', sizeBytes: 64, objectKey: 'bk/gone' },
          );
          const removed = (await allEvents(ledger)).filter((e) => e.type === 'object.removed');
          assert.equal(removed.length, 1);
          assert.equal(removed[0]!.sequencer, result.sequencer);
          assert.deepEqual(removed[0]!.data, {
            version: 1, copies: [{ backend: 'a', storage_key: written.copies[0]!.storageKey }], sequencer: result.sequencer,
          });

          const eventsBefore = (await allEvents(ledger)).length;
          let built = false;
          const again = await ledger.deleteObject('bk/gone', (o) => { built = true; return removedEvent(o); });
          assert.deepEqual(again, { existed: false, removed: [], sequencer: null });
          assert.equal(built, false);
          assert.equal((await allEvents(ledger)).length, eventsBefore);
          assert.equal(await ledger.cleanupDepth(), 1);
          assert.equal((await quota(ledger, 'a')).orphanBytes, 64);
        }));

      test('a key written again after a delete gets a larger sequencer', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
          await put(ledger, 'bk/k', 1, ['a']);
          const del = await ledger.deleteObject('bk/k', removedEvent);
          const again = await put(ledger, 'bk/k', 1, ['a']);
          assert.ok(del.sequencer && again.sequencer > del.sequencer);
        }));
    });

    describe('abandon and drop', () => {
      test('abandonIntent turns the claimed bytes into a debt; dropIntent frees them; both idempotent', () =>
        withLedger(async (ledger, clock) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 100 }]);
          const abandoned = await claimWrite(ledger, 'bk/x', 30, ['a']);
          const dropped = await claimWrite(ledger, 'bk/y', 40, ['a']);
          assert.ok(abandoned && dropped);
          assert.equal((await quota(ledger, 'a')).inflightBytes, 70);

          await ledger.abandonIntent(abandoned.intentId, 'bad_digest');
          await ledger.abandonIntent(abandoned.intentId, 'bad_digest');
          assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 100, bytesUsed: 0, orphanBytes: 30, inflightBytes: 40 });
          const debts = await ledger.claimCleanup(10, clock.now, 1000);
          assert.deepEqual(
            debts.map((d) => ({ storageKey: d.storageKey, reason: d.reason, sizeBytes: d.sizeBytes, backendName: d.backendName })),
            [{ storageKey: abandoned.storageKey, reason: 'bad_digest', sizeBytes: 30, backendName: 'a' }],
          );

          await ledger.dropIntent(dropped.intentId);
          await ledger.dropIntent(dropped.intentId);
          assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 100, bytesUsed: 0, orphanBytes: 30, inflightBytes: 0 });
          assert.equal(await ledger.cleanupDepth(), 1);
          assert.equal(await ledger.getIntent(dropped.intentId), null);
          assert.deepEqual((await allEvents(ledger)).map((e) => e.type), ['cleanup.enqueued']);
        }));
    });

    describe('multipart', () => {
      const uploadIdentity = {
        contentType: 'video/mp4', userMetadata: { camera: 'x' }, headers: { contentDisposition: 'attachment' }, contentHash: null,
      };
      async function open(ledger: Ledger, uploadId: string, objectKey = 'bk/big', backendName = 'a'): Promise<void> {
        await ledger.createUpload({
          uploadId, objectKey, backendName, backendUploadId: `backend-${uploadId}`, storageKey: `${objectKey}!${uploadId}`,
          identity: uploadIdentity,
        });
      }
      async function part(ledger: Ledger, uploadId: string, partNumber: number, size: number): Promise<void> {
        assert.equal(await ledger.claimPart(uploadId, partNumber, size), true, `part ${partNumber} fits`);
        await ledger.recordPart(uploadId, partNumber, `md5-${partNumber}-${size}`, `"backend-${partNumber}"`, size);
      }

      test('parts reserve space on the pinned backend; re-uploading a part number replaces its reservation', () =>
        withLedger(async (ledger, clock) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 100 }, { name: 'b', quotaBytes: 1000 }]);
          await open(ledger, 'u1');
          assert.deepEqual(await ledger.getUpload('u1'), {
            uploadId: 'u1', objectKey: 'bk/big', backendName: 'a', backendUploadId: 'backend-u1', storageKey: 'bk/big!u1',
            identity: uploadIdentity, createdAt: clock.now,
          });
          assert.equal(await ledger.claimPart('u1', 1, 60), true);
          assert.equal((await quota(ledger, 'a')).inflightBytes, 60);
          assert.equal(await ledger.claimPart('u1', 2, 50), false, 'no room on the pinned backend (b has room, but the upload lives on a)');
          assert.equal(await ledger.claimPart('u1', 1, 90), true, 'the replaced reservation no longer counts');
          assert.equal((await quota(ledger, 'a')).inflightBytes, 90);
          await ledger.recordPart('u1', 1, '"ABCDEF"', 'backend-etag', 90);
          assert.deepEqual(await ledger.listParts('u1'), [
            { uploadId: 'u1', partNumber: 1, etag: 'abcdef', backendEtag: 'backend-etag', sizeBytes: 90, createdAt: clock.now },
          ]);
          assert.equal(await ledger.claimPart('u1', 2, 10), true);
          assert.deepEqual((await ledger.listParts('u1')).map((p) => [p.partNumber, p.etag]), [[1, 'abcdef'], [2, null]]);
          assert.equal(await ledger.claimPart('u1', 3, 1), false);
        }));

      test('parts of unknown uploads are refused with NoSuchUploadError', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
          await assert.rejects(ledger.claimPart('nope', 1, 1), NoSuchUploadError);
          await assert.rejects(ledger.recordPart('nope', 1, 'e', 'e', 1), NoSuchUploadError);
          assert.equal(await ledger.getUpload('nope'), null);
        }));

      test('complete validates the named parts and leaves the upload intact on failure', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
          await open(ledger, 'u1');
          await part(ledger, 'u1', 1, 5);
          await part(ledger, 'u1', 2, 3);
          assert.equal(await ledger.claimPart('u1', 3, 4), true); // still uploading
          const complete = (parts: Array<{ partNumber: number; etag: string }>, objectKey = 'bk/big') =>
            ledger.completeMultipart({ uploadId: 'u1', objectKey, parts, finalEtag: 'x-2', events: createdEvent });
          await assert.rejects(complete([{ partNumber: 1, etag: 'md5-1-5' }, { partNumber: 4, etag: 'md5-4-1' }]), (err: unknown) =>
            err instanceof InvalidPartError && err.partNumber === 4 && err.code === 'InvalidPart');
          await assert.rejects(complete([{ partNumber: 1, etag: 'md5-1-5' }, { partNumber: 2, etag: 'wrong' }]), InvalidPartError);
          await assert.rejects(complete([{ partNumber: 1, etag: 'md5-1-5' }, { partNumber: 3, etag: 'anything' }]), InvalidPartError);
          await assert.rejects(complete([{ partNumber: 2, etag: 'md5-2-3' }, { partNumber: 1, etag: 'md5-1-5' }]), InvalidPartOrderError);
          await assert.rejects(complete([{ partNumber: 1, etag: 'md5-1-5' }, { partNumber: 1, etag: 'md5-1-5' }]), InvalidPartOrderError);
          await assert.rejects(complete([{ partNumber: 1, etag: 'md5-1-5' }], 'bk/other-key'), NoSuchUploadError);
          await assert.rejects(
            ledger.completeMultipart({ uploadId: 'nope', objectKey: 'bk/big', parts: [{ partNumber: 1, etag: 'e' }], finalEtag: 'x', events: createdEvent }),
            NoSuchUploadError,
          );
          assert.ok(await ledger.getUpload('u1'));
          assert.equal((await ledger.listParts('u1')).length, 3);
          assert.equal(await ledger.getObject('bk/big'), null);
          assert.equal((await quota(ledger, 'a')).inflightBytes, 12);
        }));

      test('checksums: an upload keeps its chosen algorithm, parts their values, the object the one Complete derived', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
          const chosen = { algorithm: 'crc32', type: 'COMPOSITE' } as const;
          await ledger.createUpload({
            uploadId: 'uc', objectKey: 'bk/sum', backendName: 'a', backendUploadId: 'b-uc', storageKey: 'bk/sum!uc',
            identity: { ...uploadIdentity, checksum: chosen },
          });
          assert.deepEqual((await ledger.getUpload('uc'))?.identity.checksum, chosen);
          assert.equal(await ledger.claimPart('uc', 1, 10), true);
          assert.equal((await ledger.listParts('uc'))[0]?.checksum, undefined, 'no checksum while the part uploads');
          await ledger.recordPart('uc', 1, 'md5-1', 'b1', 10, undefined, 'AAAAAQ==');
          assert.equal(await ledger.claimPart('uc', 2, 5), true);
          await ledger.recordPart('uc', 2, 'md5-2', 'b2', 5);
          assert.deepEqual((await ledger.listParts('uc')).map((p) => p.checksum), ['AAAAAQ==', undefined]);
          // The per-part values kept with the object (GetObjectAttributes) round-trip on both engines.
          const objectChecksum = { algorithm: 'crc32' as const, type: 'COMPOSITE' as const, value: 'Zm9vYg==-1', parts: ['AAAAAQ=='] };
          const done = await ledger.completeMultipart({
            uploadId: 'uc', objectKey: 'bk/sum', finalEtag: 'e-1', checksum: objectChecksum, events: createdEvent,
            parts: [{ partNumber: 1, etag: 'md5-1' }],
          });
          assert.deepEqual(done.object.checksum, objectChecksum);
          assert.deepEqual((await ledger.getObject('bk/sum'))?.object.checksum, objectChecksum);
          // Without one from Complete, the object has none (not the upload's value-less choice).
          await open(ledger, 'un', 'bk/none');
          await part(ledger, 'un', 1, 3);
          const none = await ledger.completeMultipart({ uploadId: 'un', objectKey: 'bk/none', finalEtag: 'e-1', events: createdEvent, parts: [{ partNumber: 1, etag: 'md5-1-3' }] });
          assert.equal(none.object.checksum, undefined);
          // A whole write keeps its checksum, through the intent, and an overwrite replaces it.
          const claim = await claimWrite(ledger, 'bk/whole', 4, ['a']);
          assert.ok(claim);
          const full = { algorithm: 'crc64nvme', type: 'FULL_OBJECT', value: 'AAAAAAAAAAE=' } as const;
          await ledger.commitWrite({ intentId: claim.intentId, identity: { ...identity(4), checksum: full }, events: createdEvent });
          assert.deepEqual((await ledger.getObject('bk/whole'))?.object.checksum, full);
          await put(ledger, 'bk/whole', 2, ['a']);
          assert.equal((await ledger.getObject('bk/whole'))?.object.checksum, undefined);
        }));

      test('part hashes: parts keep their SHA-256, Complete gives the object the named parts\' hashes and their composite', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
          const h = (c: string) => c.repeat(64);
          await open(ledger, 'uh', 'bk/hashed');
          assert.equal(await ledger.claimPart('uh', 1, 10), true);
          assert.equal((await ledger.listParts('uh'))[0]?.sha256, undefined, 'no hash while the part uploads');
          await ledger.recordPart('uh', 1, 'md5-1', 'b1', 10, undefined, undefined, h('a'));
          for (const n of [2, 3]) {
            assert.equal(await ledger.claimPart('uh', n, 5), true);
            await ledger.recordPart('uh', n, `md5-${n}`, `b${n}`, 5, undefined, undefined, h(String(n)));
          }
          assert.deepEqual((await ledger.listParts('uh')).map((p) => p.sha256), [h('a'), h('2'), h('3')]);
          // Only the parts Complete names count (part 2 is left out).
          const done = await ledger.completeMultipart({
            uploadId: 'uh', objectKey: 'bk/hashed', finalEtag: 'e-2', events: createdEvent,
            parts: [{ partNumber: 1, etag: 'md5-1' }, { partNumber: 3, etag: 'md5-3' }],
          });
          assert.deepEqual(done.object.partHashes, [h('a'), h('3')]);
          assert.equal(done.object.contentHash, compositeSha256([h('a'), h('3')]));
          assert.match(done.object.contentHash ?? '', /^[0-9a-f]{64}-2$/);
          const stored = (await ledger.getObject('bk/hashed'))?.object;
          assert.deepEqual(stored?.partHashes, [h('a'), h('3')]);
          assert.equal(stored?.contentHash, done.object.contentHash);
          // One named part without a hash (uploaded before hashes were kept): neither.
          await open(ledger, 'um', 'bk/mixed');
          assert.equal(await ledger.claimPart('um', 1, 10), true);
          await ledger.recordPart('um', 1, 'md5-1', 'b1', 10, undefined, undefined, h('b'));
          await part(ledger, 'um', 2, 3);
          const mixed = await ledger.completeMultipart({
            uploadId: 'um', objectKey: 'bk/mixed', finalEtag: 'e-2', events: createdEvent,
            parts: [{ partNumber: 1, etag: 'md5-1' }, { partNumber: 2, etag: 'md5-2-3' }],
          });
          assert.equal(mixed.object.partHashes, undefined);
          assert.equal(mixed.object.contentHash, null);
          // An encrypted upload's object keeps no part hashes (GCM checks its bytes).
          await open(ledger, 'ue', 'bk/sealed');
          assert.equal(await ledger.claimPart('ue', 1, 10), true);
          await ledger.recordPart('ue', 1, 'md5-1', 'b1', 10, 8, undefined, h('c'));
          const sealed = await ledger.completeMultipart({
            uploadId: 'ue', objectKey: 'bk/sealed', finalEtag: 'e-1', encryption: 'hdr', events: createdEvent, parts: [{ partNumber: 1, etag: 'md5-1' }],
          });
          assert.equal(sealed.object.partHashes, undefined);
          // A whole write carries part hashes through its intent (a copy of a multipart object).
          const claim = await claimWrite(ledger, 'bk/carried', 15, ['a']);
          assert.ok(claim);
          await ledger.commitWrite({
            intentId: claim.intentId, identity: { ...identity(15), partSizes: [10, 5], partHashes: [h('d'), h('e')], contentHash: compositeSha256([h('d'), h('e')]) },
            events: createdEvent,
          });
          const carried = (await ledger.getObject('bk/carried'))?.object;
          assert.deepEqual(carried?.partHashes, [h('d'), h('e')]);
          assert.deepEqual(carried?.partSizes, [10, 5]);
        }));

      test('complete commits the named parts as the object; a repeated complete returns it again', () =>
        withLedger(async (ledger, clock) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 1000 }, { name: 'b', quotaBytes: 1000 }]);
          const old = await put(ledger, 'bk/big', 7, ['b']);
          await open(ledger, 'u1');
          await part(ledger, 'u1', 1, 100);
          await part(ledger, 'u1', 2, 50);
          await part(ledger, 'u1', 3, 20); // not named: the backend Complete discards it
          assert.equal((await quota(ledger, 'a')).inflightBytes, 170);

          const result = await ledger.completeMultipart({
            uploadId: 'u1', objectKey: 'bk/big', finalEtag: 'abc123-2', events: createdEvent,
            parts: [{ partNumber: 1, etag: '"md5-1-100"' }, { partNumber: 2, etag: 'md5-2-50' }],
          });
          assert.equal(result.repeated, false);
          const expectedObject = {
            objectKey: 'bk/big', writeId: 'u1', size: 150, etag: 'abc123-2', ...uploadIdentity, partSizes: [100, 50], createdAt: clock.now,
          };
          assert.deepEqual(result.object, expectedObject);
          assert.deepEqual(result.displaced, old.copies);
          assert.deepEqual(result.copies.map((c) => [c.backendName, c.storageKey, c.writeId, c.sizeBytes]), [['a', 'bk/big!u1', 'u1', 150]]);
          assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 1000, bytesUsed: 150, orphanBytes: 0, inflightBytes: 0 });
          assert.deepEqual(await quota(ledger, 'b'), { bytesLimit: 1000, bytesUsed: 0, orphanBytes: 7, inflightBytes: 0 });
          assert.equal(await ledger.getUpload('u1'), null);
          assert.deepEqual(await ledger.listParts('u1'), []);
          assert.deepEqual((await ledger.getObject('bk/big'))?.object, expectedObject);
          const created = (await allEvents(ledger)).filter((e) => e.type === 'object.created');
          assert.equal(created.at(-1)?.sequencer, result.sequencer);

          const eventsBefore = (await allEvents(ledger)).length;
          clock.now += 1000;
          const again = await ledger.completeMultipart({
            uploadId: 'u1', objectKey: 'bk/big', finalEtag: 'abc123-2', events: createdEvent,
            parts: [{ partNumber: 1, etag: 'md5-1-100' }, { partNumber: 2, etag: 'md5-2-50' }],
          });
          assert.equal(again.repeated, true);
          assert.equal(again.sequencer, null);
          assert.deepEqual(again.object, expectedObject);
          assert.deepEqual(again.copies, result.copies);
          assert.equal((await allEvents(ledger)).length, eventsBefore, 'no new event');

          // Once the key is overwritten, the upload id is just unknown.
          await put(ledger, 'bk/big', 1, ['b']);
          await assert.rejects(
            ledger.completeMultipart({ uploadId: 'u1', objectKey: 'bk/big', finalEtag: 'x', events: createdEvent, parts: [{ partNumber: 1, etag: 'md5-1-100' }] }),
            NoSuchUploadError,
          );
        }));

      test('abort removes the rows and records one multipart_upload debt for all parts', () =>
        withLedger(async (ledger, clock) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 1000 }]);
          await open(ledger, 'u1');
          await part(ledger, 'u1', 1, 100);
          assert.equal(await ledger.claimPart('u1', 2, 30), true); // in flight when the abort comes
          assert.equal(await ledger.abortMultipart('u1', 'client_abort'), true);
          assert.equal(await ledger.getUpload('u1'), null);
          assert.deepEqual(await ledger.listParts('u1'), []);
          assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 1000, bytesUsed: 0, orphanBytes: 130, inflightBytes: 0 });
          const debts = await ledger.claimCleanup(10, clock.now, 1000);
          assert.deepEqual(
            debts.map((d) => ({ ...d, id: 0 })),
            [{
              id: 0, kind: 'multipart_upload', backendName: 'a', storageKey: 'bk/big!u1', backendUploadId: 'backend-u1',
              objectKey: 'bk/big', reason: 'client_abort', sizeBytes: 130, attempts: 0, nextRetry: clock.now, lastError: null,
              createdAt: clock.now, inDoubt: false, markerBackend: null,
            }],
          );
          assert.equal(await ledger.abortMultipart('u1', 'client_abort'), false);
          assert.equal(await ledger.cleanupDepth(), 1);
          await assert.rejects(ledger.recordPart('u1', 2, 'e', 'e', 30), NoSuchUploadError, 'a part finishing after the abort');
          // An upload without parts still owes the backend's AbortMultipartUpload.
          await open(ledger, 'u2');
          assert.equal(await ledger.abortMultipart('u2', 'stale'), true);
          assert.equal(await ledger.cleanupDepth(), 2);
          assert.equal((await quota(ledger, 'a')).orphanBytes, 130);
        }));

      test('listUploads orders by (key, upload id) within the range and resumes after an upload id', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
          await open(ledger, 'u3', 'bk/b');
          await open(ledger, 'u1', 'bk/b');
          await open(ledger, 'u2', 'bk/a');
          await open(ledger, 'u4', 'other/a');
          const ids = async (req: Parameters<Ledger['listUploads']>[0]) => (await ledger.listUploads(req)).map((u) => `${u.objectKey}:${u.uploadId}`);
          assert.deepEqual(await ids({ from: 'bk/', to: 'bk0', limit: 10 }), ['bk/a:u2', 'bk/b:u1', 'bk/b:u3']);
          assert.deepEqual(await ids({ from: 'bk/b', to: 'bk0', limit: 10, afterUploadId: 'u1' }), ['bk/b:u3']);
          assert.deepEqual(await ids({ from: 'bk/', to: null, limit: 2 }), ['bk/a:u2', 'bk/b:u1']);
          assert.deepEqual(await ids({ from: 'bk/', to: null, limit: 10 }), ['bk/a:u2', 'bk/b:u1', 'bk/b:u3', 'other/a:u4']);
        }));
    });

    describe('cleanup queue', () => {
      test('a deleted copy is owed with the backend of its delete marker (marker_backend)', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 1000 }, { name: 'b', quotaBytes: 1000 }]);
          const fellBack = await put(ledger, 'bk/gone', 4, ['a']);
          await put(ledger, 'bk/also-gone', 4, ['b']);
          await ledger.deleteObject('bk/gone', removedEvent, { markersElsewhere: new Map([[fellBack.copies[0]!.storageKey, 'b']]) });
          await ledger.deleteObject('bk/also-gone', removedEvent);
          const debts = (await ledger.listCleanup(null, 10)).map((d) => [d.backendName, d.reason, d.markerBackend, markerBackendOf(d)]);
          assert.deepEqual(debts, [['a', 'deleted', 'b', 'b'], ['b', 'deleted', 'b', 'b']]);
        }));

      test('debts recorded before marker_backend still name their marker by their reason', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 1000 }]);
          await ledger.enqueueCleanup([
            { kind: 'object', backendName: 'a', storageKey: 'bk/x!1', reason: 'deleted (marker on b)', sizeBytes: 1 },
            { kind: 'object', backendName: 'a', storageKey: 'bk/y!1', reason: 'deleted', sizeBytes: 1 },
            { kind: 'object', backendName: 'a', storageKey: 'bk/z!1', reason: 'overwritten', sizeBytes: 1 },
          ]);
          const debts = (await ledger.listCleanup(null, 10)).map((d) => [d.storageKey, d.markerBackend, markerBackendOf(d)]);
          assert.deepEqual(debts, [['bk/x!1', null, 'b'], ['bk/y!1', null, 'a'], ['bk/z!1', null, null]]);
        }));

      test('an abandoned intent owes its bytes in doubt; confirmCleanupLater clears the doubt without counting an attempt', () =>
        withLedger(async (ledger, clock) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 1000 }]);
          const write = await claimWrite(ledger, 'bk/held', 7, ['a']);
          assert.ok(write);
          await ledger.abandonIntent(write.intentId, 'failed write');
          await ledger.enqueueCleanup([{ kind: 'object', backendName: 'a', storageKey: 'bk/old!1', reason: 'overwritten', sizeBytes: 3 }]);
          const t0 = clock.now;
          const claimed = await ledger.claimCleanup(10, t0, 500);
          assert.deepEqual(claimed.map((r) => [r.reason, r.inDoubt]), [['failed write', true], ['overwritten', false]]);
          const held = claimed[0]!;
          await ledger.completeCleanup(claimed[1]!.id); // a certain debt: one DELETE settles it
          await ledger.confirmCleanupLater(held.id, 'deleted once', t0 + 60_000);
          assert.deepEqual(await ledger.claimCleanup(10, t0 + 59_999, 500), [], 'due again only at nextRetry');
          const [again] = await ledger.claimCleanup(10, t0 + 60_000, 500);
          assert.deepEqual(
            { id: again?.id, inDoubt: again?.inDoubt, attempts: again?.attempts, lastError: again?.lastError },
            { id: held.id, inDoubt: false, attempts: 0, lastError: 'deleted once' },
          );
          assert.equal((await quota(ledger, 'a')).orphanBytes, 7, 'still charged until completed');
          await ledger.completeCleanup(held.id);
          assert.equal((await quota(ledger, 'a')).orphanBytes, 0);
        }));

      test('claims due rows under a lease; fail postpones; complete releases the orphan bytes once', () =>
        withLedger(async (ledger, clock) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 1000 }]);
          await ledger.enqueueCleanup([
            { kind: 'object', backendName: 'a', storageKey: 'bk/x!1', objectKey: 'bk/x', reason: 'test', sizeBytes: 10 },
            { kind: 'object', backendName: 'a', storageKey: 'bk/y!1', reason: 'test', sizeBytes: 5 },
          ]);
          assert.equal((await quota(ledger, 'a')).orphanBytes, 15);
          const t0 = clock.now;
          assert.deepEqual(await ledger.claimCleanup(10, t0 - 1, 500), [], 'not due before next_retry');
          const claimed = await ledger.claimCleanup(10, t0, 500);
          assert.deepEqual(claimed.map((r) => r.storageKey), ['bk/x!1', 'bk/y!1']);
          assert.deepEqual(await ledger.claimCleanup(10, t0 + 499, 500), [], 'leased rows are skipped');
          const [x, y] = claimed as [typeof claimed[0], typeof claimed[0]];

          await ledger.failCleanup(x.id, 'connection reset', t0 + 2000);
          assert.deepEqual((await ledger.claimCleanup(10, t0 + 500, 500)).map((r) => r.id), [y.id], 'y is re-claimed after its lease, x is not due');
          assert.equal((await quota(ledger, 'a')).orphanBytes, 15, 'claims and failures release nothing');
          await ledger.completeCleanup(y.id);
          assert.equal((await quota(ledger, 'a')).orphanBytes, 10);
          assert.deepEqual(await ledger.claimCleanup(10, t0 + 1999, 500), [], 'x waits for next_retry');
          const [retried] = await ledger.claimCleanup(10, t0 + 2000, 500);
          assert.deepEqual(
            { id: retried?.id, attempts: retried?.attempts, lastError: retried?.lastError, nextRetry: retried?.nextRetry },
            { id: x.id, attempts: 1, lastError: 'connection reset', nextRetry: t0 + 2000 },
          );

          await ledger.completeCleanup(x.id);
          assert.equal((await quota(ledger, 'a')).orphanBytes, 0);
          await ledger.completeCleanup(x.id);
          assert.equal((await quota(ledger, 'a')).orphanBytes, 0, 'a repeated completion releases nothing');
          await ledger.failCleanup(x.id, 'late', t0);
          assert.equal(await ledger.cleanupDepth(), 0);
          assert.deepEqual(
            (await allEvents(ledger)).map((e) => [e.type, e.data]),
            [['cleanup.enqueued', { version: 1, backend: 'a', count: 2 }]],
          );
        }));

      test('claims at most `limit` rows, oldest due first', () =>
        withLedger(async (ledger, clock) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
          for (const k of ['k1', 'k2', 'k3']) {
            await ledger.enqueueCleanup([{ kind: 'object', backendName: 'a', storageKey: k, reason: 'test', sizeBytes: 1 }]);
            clock.now += 10;
          }
          assert.deepEqual((await ledger.claimCleanup(2, clock.now, 100)).map((r) => r.storageKey), ['k1', 'k2']);
          assert.deepEqual((await ledger.claimCleanup(2, clock.now, 100)).map((r) => r.storageKey), ['k3']);
          assert.deepEqual(await ledger.claimCleanup(0, clock.now + 1000, 100), []);
        }));

      test('dead-lettering leaves the queue but keeps the orphan bytes charged', () =>
        withLedger(async (ledger, clock) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
          await ledger.enqueueCleanup([{ kind: 'object', backendName: 'a', storageKey: 'bk/x!1', reason: 'test', sizeBytes: 9 }]);
          const [row] = await ledger.claimCleanup(1, clock.now, 100);
          assert.ok(row);
          await ledger.deadLetterCleanup(row.id, 'AccessDenied', [
            { type: 'cleanup.dead_lettered', resource: 'a', data: { version: 1, backend: 'a', storage_key: row.storageKey, last_error: 'AccessDenied' } },
          ]);
          assert.equal(await ledger.cleanupDepth(), 0);
          assert.equal((await quota(ledger, 'a')).orphanBytes, 9);
          assert.deepEqual((await allEvents(ledger)).map((e) => e.type), ['cleanup.enqueued', 'cleanup.dead_lettered']);
          await ledger.deadLetterCleanup(row.id, 'again', []);
          assert.equal((await allEvents(ledger)).length, 2);
        }));
    });

    describe('listRange', () => {
      test('lists keys in UTF-8 byte order and filters by range, never by pattern', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
          const keys = [
            'bk/a', 'bk/a/', 'bk/a//x', 'bk/a/x', 'bk/a%', 'bk/a_', 'bk/aZ', 'bk/a0', 'bk/é', 'bk/\uFFFD', 'bk/😀', 'bk/Z', 'bk/z',
            'bk/a b', 'bk/a\u0001',
          ];
          for (const key of keys) await put(ledger, key, key.length, ['a']);
          await put(ledger, 'bl/other-bucket', 1, ['a']);
          const list = async (from: string, to: string | null, limit = 100) => (await ledger.listRange({ from, to, limit })).map((e) => e.objectKey);

          const expected = [...keys].sort(byteOrder);
          // Byte order differs from JS string order for characters above the BMP.
          assert.ok(expected.indexOf('bk/\uFFFD') < expected.indexOf('bk/😀'));
          assert.ok(['bk/\uFFFD', 'bk/😀'].sort()[0] === 'bk/😀');
          assert.deepEqual(await list('bk/', 'bk0'), expected);
          assert.deepEqual(await list('bk/a/', 'bk/a0'), ['bk/a/', 'bk/a//x', 'bk/a/x']);
          assert.deepEqual(await list('bk/a%', 'bk/a&'), ['bk/a%']);
          assert.deepEqual(await list('bk/a_', 'bk/a`'), ['bk/a_']);
          assert.deepEqual(await list('bk/\uFFFD', null, 1), ['bk/\uFFFD']);

          const [entry] = await ledger.listRange({ from: 'bk/a//x', to: null, limit: 1 });
          assert.deepEqual({ ...entry, createdAt: 0 }, { objectKey: 'bk/a//x', size: 'bk/a//x'.length, etag: `etag${'bk/a//x'.length}`, createdAt: 0 });

          // Paging: resume strictly after the last key (the key followed by U+0000 is its successor).
          const paged: string[] = [];
          let from = 'bk/';
          for (;;) {
            const page = await list(from, 'bk0', 4);
            paged.push(...page);
            if (page.length < 4) break;
            from = `${page.at(-1)}\u0000`;
          }
          assert.deepEqual(paged, expected);
          assert.deepEqual(await ledger.listRange({ from: 'bk/', to: null, limit: 0 }), []);
        }));
    });

    describe('events', () => {
      test('appendEvents and readEventsAfter: seq order, envelope, limit', () =>
        withLedger(async (ledger, clock) => {
          await ledger.appendEvents([
            { type: 'usage.delta', resource: 'a', data: { version: 1, requests: 3 } },
            { type: 'usage.delta', resource: 'b', data: { version: 1, requests: 4 }, traceparent: '00-t-s-01' },
          ]);
          clock.now += 1;
          await ledger.appendEvents([{ type: 'backend.circuit.opened', resource: 'a', data: { version: 1, nested: { list: [1, 'two', null] } } }]);
          await ledger.appendEvents([]);
          const events = await allEvents(ledger);
          assert.equal(events.length, 3);
          assert.ok(events[0]!.seq < events[1]!.seq && events[1]!.seq < events[2]!.seq);
          for (const e of events) {
            assert.equal(e.sequencer, e.seq.toString(16).padStart(16, '0'));
            assert.equal(e.source, SOURCE);
            assert.equal('sequencer' in e.data, false, 'plain appends carry no sequencer in data');
          }
          assert.deepEqual(
            events.map((e) => [e.type, e.resource, e.data, e.traceparent, e.time]),
            [
              ['usage.delta', 'a', { version: 1, requests: 3 }, null, new Date(clock.now - 1).toISOString()],
              ['usage.delta', 'b', { version: 1, requests: 4 }, '00-t-s-01', new Date(clock.now - 1).toISOString()],
              ['backend.circuit.opened', 'a', { version: 1, nested: { list: [1, 'two', null] } }, null, new Date(clock.now).toISOString()],
            ],
          );
          assert.ok(events[0]!.id < events[1]!.id && events[1]!.id < events[2]!.id, 'ids sort in append order');
          assert.deepEqual((await ledger.readEventsAfter(events[0]!.seq, 10)).map((e) => e.seq), [events[1]!.seq, events[2]!.seq]);
          assert.deepEqual((await ledger.readEventsAfter(0, 1)).map((e) => e.seq), [events[0]!.seq]);
          assert.deepEqual(await ledger.readEventsAfter(events[2]!.seq, 10), []);
        }));

      test('consumer offsets and dead events', () =>
        withLedger(async (ledger) => {
          assert.equal(await ledger.getConsumerOffset('placement-created'), 0);
          await ledger.setConsumerOffset('placement-created', 5);
          await ledger.setConsumerOffset('placement-created', 9);
          await ledger.setConsumerOffset('notifier', 2);
          assert.equal(await ledger.getConsumerOffset('placement-created'), 9);
          assert.equal(await ledger.getConsumerOffset('notifier'), 2);
          await ledger.recordDeadEvent('notifier', 'E1', 5, 'timeout');
          await ledger.recordDeadEvent('notifier', 'E1', 6, 'timeout again');
        }));

      test('the newest event seq: 0 with none, then the last one appended', () =>
        withLedger(async (ledger) => {
          assert.equal(await ledger.latestEventSeq(), 0);
          await ledger.appendEvents([{ type: 'x', resource: 'r', data: {} }, { type: 'y', resource: 'r', data: {} }]);
          const events = await ledger.readEventsAfter(0, 10);
          assert.equal(await ledger.latestEventSeq(), events.at(-1)!.seq);
        }));
    });

    describe('concurrency', () => {
      test('20 concurrent claims racing for the last bytes: exactly the ones that fit succeed', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 1000 }]);
          await put(ledger, 'bk/base', 650, ['a']);
          const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => claimWrite(ledger, `bk/race-${i}`, 100, ['a'])));
          assert.equal(claims.filter((c) => c !== null).length, 3);
          assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 1000, bytesUsed: 650, orphanBytes: 0, inflightBytes: 300 });
        }));

      test('claims racing commits at the limit: a commit\'s bytes are never missed (in flight or charged)', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 1000 }]);
          const open = await Promise.all(Array.from({ length: 6 }, (_, i) => claimWrite(ledger, `bk/open-${i}`, 100, ['a'])));
          assert.ok(open.every((c) => c !== null));
          // The commits turn 600 in-flight bytes into 600 charged ones (on Postgres over the
          // quota stripes) while 20 claims race for the 400 left: exactly 4 fit, whatever the order.
          const [claims] = await Promise.all([
            Promise.all(Array.from({ length: 20 }, (_, i) => claimWrite(ledger, `bk/late-${i}`, 100, ['a']))),
            Promise.all(open.map((c) => ledger.commitWrite({ intentId: c!.intentId, identity: identity(100), events: createdEvent }))),
          ]);
          const won = claims.filter((c) => c !== null);
          assert.equal(won.length, 4);
          assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 1000, bytesUsed: 600, orphanBytes: 0, inflightBytes: 400 });
          await Promise.all(won.map((c) => ledger.commitWrite({ intentId: c.intentId, identity: identity(100), events: createdEvent })));
          assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 1000, bytesUsed: 1000, orphanBytes: 0, inflightBytes: 0 });
          assert.equal(await claimWrite(ledger, 'bk/full', 1, ['a']), null, 'a full backend refuses the next byte');
        }));

      test('many concurrent commits and deletes: the charged and owed bytes add up exactly', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
          await Promise.all(Array.from({ length: 24 }, (_, i) => put(ledger, `bk/many-${i}`, 10 + i, ['a'])));
          const total = Array.from({ length: 24 }, (_, i) => 10 + i).reduce((a, b) => a + b, 0);
          assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 0, bytesUsed: total, orphanBytes: 0, inflightBytes: 0 });
          await Promise.all(Array.from({ length: 12 }, (_, i) => ledger.deleteObject(`bk/many-${i}`, removedEvent)));
          const deleted = Array.from({ length: 12 }, (_, i) => 10 + i).reduce((a, b) => a + b, 0);
          assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 0, bytesUsed: total - deleted, orphanBytes: deleted, inflightBytes: 0 });
        }));

      test('concurrent claims over two backends fill both exactly', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 250 }, { name: 'b', quotaBytes: 250 }]);
          const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => claimWrite(ledger, `bk/r${i}`, 100, ['a', 'b'])));
          const won = claims.filter((c) => c !== null);
          assert.equal(won.length, 4);
          assert.equal(won.filter((c) => c.backendName === 'a').length, 2);
          assert.equal((await quota(ledger, 'a')).inflightBytes, 200);
          assert.equal((await quota(ledger, 'b')).inflightBytes, 200);
        }));

      test('concurrent part claims racing for the last bytes of the pinned backend', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 350 }]);
          await ledger.createUpload({
            uploadId: 'u', objectKey: 'bk/m', backendName: 'a', backendUploadId: 'bu', storageKey: 'bk/m!u',
            identity: { contentType: 'x/y', userMetadata: {}, headers: {} },
          });
          const results = await Promise.all(Array.from({ length: 10 }, (_, i) => ledger.claimPart('u', i + 1, 100)));
          assert.equal(results.filter(Boolean).length, 3);
          assert.equal((await quota(ledger, 'a')).inflightBytes, 300);
        }));

      test('max open uploads: 12 concurrent creates under a limit of 5 open exactly the places left; the refused are owed', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
          const limit = { from: 'lim/', to: 'lim0', limit: 5 };
          const create = (i: number, objectKey = `lim/k${i}`) => ledger.createUpload({
            uploadId: `u${i}`, objectKey, backendName: 'a', backendUploadId: `bu${i}`, storageKey: `${objectKey}!u${i}`,
            identity: { contentType: 'x/y', userMetadata: {}, headers: {} }, maxOpenUploads: limit,
          });
          assert.equal(await create(0), true);
          assert.equal(await create(99, 'other/k'), true, 'uploads outside the range do not count');
          const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => create(i + 1)));
          assert.equal(results.filter((r) => r.status === 'fulfilled' && r.value === true).length, 4);
          const refused = results.filter((r) => r.status === 'rejected');
          assert.equal(refused.length, 8);
          for (const r of refused) assert.ok((r as PromiseRejectedResult).reason instanceof TooManyUploadsError);
          assert.equal((await ledger.listUploads({ from: 'lim/', to: 'lim0', limit: 100 })).length, 5);
          assert.equal(await ledger.cleanupDepth(), 8, 'each refused backend upload is owed');
          // A place freed is a place taken again.
          assert.equal(await ledger.abortMultipart('u0', 'test'), true);
          assert.equal(await create(50), true);
          await assert.rejects(create(51), TooManyUploadsError);
        }));

      test('concurrent commits of one key: one winner, every other copy owed, bytes exact', () =>
        withLedger(async (ledger) => {
          await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }]);
          const sizes = Array.from({ length: 10 }, (_, i) => 10 + i);
          const claims = await Promise.all(sizes.map((size, i) => claimWrite(ledger, 'bk/hot', size, [i % 2 ? 'b' : 'a'])));
          const results = await Promise.all(claims.map((claim, i) => {
            assert.ok(claim);
            return ledger.commitWrite({ intentId: claim.intentId, identity: identity(sizes[i]!), events: createdEvent });
          }));
          const winner = results.reduce((w, r) => (r.sequencer > w.sequencer ? r : w));
          assert.equal(new Set(results.map((r) => r.sequencer)).size, 10, 'distinct sequencers');
          const got = await ledger.getObject('bk/hot');
          assert.equal(got?.object.writeId, winner.object.writeId, 'the last commit wins');
          assert.equal(got?.locations.length, 1);
          const total = sizes.reduce((s, n) => s + n, 0);
          const [qa, qb] = [await quota(ledger, 'a'), await quota(ledger, 'b')];
          assert.equal(qa.bytesUsed + qb.bytesUsed, winner.object.size);
          assert.equal(qa.orphanBytes + qb.orphanBytes, total - winner.object.size);
          assert.equal(qa.inflightBytes + qb.inflightBytes, 0);
          assert.equal(await ledger.cleanupDepth(), 9);
          assert.equal(results.reduce((n, r) => n + r.displaced.length, 0), 9, 'each displaced copy is reported once');
        }));
    });

    describe('outbox relay and processed events', () => {
      test('relays publish each event once, in seq order, and a failed publish leaves them for the next try', () =>
        withLedger(async (ledger) => {
          const mk = (n: number) => ({ type: 'test.event', resource: `r/${n}`, data: { n } });
          await ledger.appendEvents([mk(1), mk(2), mk(3)]);
          await assert.rejects(ledger.relayEvents(10, async () => { throw new Error('bus down'); }), /bus down/);
          assert.equal((await allEvents(ledger)).filter((e) => e.publishedAt !== null).length, 0);
          const seen: number[] = [];
          assert.equal(await ledger.relayEvents(2, async (events) => { seen.push(...events.map((e) => e.data.n as number)); }), 2);
          assert.equal(await ledger.relayEvents(10, async (events) => { seen.push(...events.map((e) => e.data.n as number)); }), 1);
          assert.equal(await ledger.relayEvents(10, async () => assert.fail('nothing left to publish')), 0);
          assert.deepEqual(seen, [1, 2, 3]);
          assert.ok((await allEvents(ledger)).every((e) => e.publishedAt !== null));
        }));

      test('concurrent relays never publish the same event twice', () =>
        withLedger(async (ledger) => {
          await ledger.appendEvents(Array.from({ length: 50 }, (_, n) => ({ type: 'test.event', resource: 'r', data: { n } })));
          const seen: string[] = [];
          const relay = async () => {
            while ((await ledger.relayEvents(7, async (events) => { seen.push(...events.map((e) => e.id)); })) > 0) { /* drain */ }
          };
          await Promise.all([relay(), relay(), relay()]);
          assert.equal(seen.length, 50);
          assert.equal(new Set(seen).size, 50);
        }));

      test('markProcessed records a (consumer, event) pair once', () =>
        withLedger(async (ledger) => {
          assert.equal(await ledger.markProcessed('c1', 'e1'), true);
          assert.equal(await ledger.markProcessed('c1', 'e1'), false);
          assert.equal(await ledger.markProcessed('c2', 'e1'), true);
        }));
    });

    describe('leadership', () => {
      test('one holder per name until released', () =>
        withLedger(async (ledger) => {
          const first = await ledger.tryLeaderLock('cleanup-sweep');
          assert.ok(first);
          assert.equal(await ledger.tryLeaderLock('cleanup-sweep'), null);
          const other = await ledger.tryLeaderLock('reaper');
          assert.ok(other);
          await first.release();
          await first.release();
          const again = await ledger.tryLeaderLock('cleanup-sweep');
          assert.ok(again);
          await again.release();
          await other.release();
        }));
    });
  });
}
