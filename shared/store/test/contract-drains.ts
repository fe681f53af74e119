// The Ledger contract, drain part: what the drain worker, the rebalancer and the admin API
// rely on — a drain keeps claims and uploads off its backend from the moment it starts, one
// per backend at a time; a move replaces the source copy under the key lock (source bytes →
// debt) or, when the key changed meanwhile, makes the new bytes a debt; drains end once;
// a backend is forgotten only when it holds nothing, or purged with its lost objects
// reported. Runs inside runLedgerContract, on every engine.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId, type Ledger, type MoveCopyOutcome } from '../src/index.js';
import { allEvents, claimWrite, identity, put, quota, type WithLedger } from './contract-helpers.js';

const THREE = [{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }, { name: 'c', quotaBytes: 0 }];

async function claimMove(ledger: Ledger, objectKey: string, size: number, candidates: string[]) {
  const intentId = newId();
  return ledger.claim({ intentId, kind: 'move', objectKey, storageKey: `${objectKey}!${intentId}`, sizeBytes: size, candidates, identity: null });
}

function move(ledger: Ledger, intentId: string, from: { backendName: string; storageKey: string }, writeId: string): Promise<MoveCopyOutcome> {
  return ledger.moveCopy({
    intentId, from, writeId,
    events: (m) => [{ type: 'object.moved', resource: m.object.objectKey, data: { version: 1, from: m.from.backendName, to: m.to.backendName } }],
  });
}

async function copiesOf(ledger: Ledger, objectKey: string): Promise<string[]> {
  return ((await ledger.getObject(objectKey))?.locations ?? []).map((l) => `${l.backendName}:${l.state}`).sort();
}

async function debts(ledger: Ledger): Promise<Array<[string, string, string]>> {
  return (await ledger.listCleanup(null, 100)).map((d) => [d.backendName, d.storageKey, d.reason] as [string, string, string]);
}

const noEvents = () => [];

export function describeDrainContract(withLedger: WithLedger): void {
  describe('moves', () => {
    test('a move replaces the source copy: source bytes become a debt, bytes_used follows, object.moved appended', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const written = await put(ledger, 'bk/k', 40, ['a']);
        const source = written.copies[0]!;
        const claim = await claimMove(ledger, 'bk/k', 40, ['b']);
        assert.ok(claim);
        assert.equal((await quota(ledger, 'b')).inflightBytes, 40);
        const outcome = await move(ledger, claim.intentId, source, written.object.writeId);
        assert.equal(outcome.outcome, 'moved');
        assert.ok(outcome.outcome === 'moved');
        assert.equal(outcome.to.storageKey, claim.storageKey);
        assert.deepEqual(await copiesOf(ledger, 'bk/k'), ['b:ok']);
        assert.deepEqual(await debts(ledger), [['a', source.storageKey, 'moved']]);
        assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 0, bytesUsed: 0, orphanBytes: 40, inflightBytes: 0 });
        assert.deepEqual(await quota(ledger, 'b'), { bytesLimit: 0, bytesUsed: 40, orphanBytes: 0, inflightBytes: 0 });
        assert.equal(await ledger.getIntent(claim.intentId), null);
        const events = await allEvents(ledger);
        assert.deepEqual(events.slice(-2).map((e) => e.type).sort(), ['cleanup.enqueued', 'object.moved']);
        const movedEvent = events.find((e) => e.type === 'object.moved')!;
        assert.equal(movedEvent.data.sequencer, movedEvent.sequencer, 'object.moved carries its sequencer');
      }));

    test('a move for a drain counts in the drain counters; one that does not commit counts nothing', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const one = await put(ledger, 'bk/1', 40, ['a']);
        const two = await put(ledger, 'bk/2', 7, ['a']);
        const drain = (await ledger.drains.startDrain('a', noEvents))!;
        const first = (await claimMove(ledger, 'bk/1', 40, ['b']))!;
        const moved = await ledger.moveCopy({ intentId: first.intentId, from: one.copies[0]!, writeId: one.object.writeId, events: noEvents, drainId: drain.id });
        assert.equal(moved.outcome, 'moved');
        const second = (await claimMove(ledger, 'bk/2', 7, ['b']))!;
        await ledger.deleteObject('bk/2', noEvents);
        const stale = await ledger.moveCopy({ intentId: second.intentId, from: two.copies[0]!, writeId: two.object.writeId, events: noEvents, drainId: drain.id });
        assert.equal(stale.outcome, 'stale');
        const now = await ledger.drains.getDrain('a');
        assert.deepEqual([now?.objectsMoved, now?.bytesMoved], [1, 40]);
      }));

    test('the key rewritten while copying: the new bytes become a debt, the new write keeps its copy', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const first = await put(ledger, 'bk/k', 40, ['a']);
        const claim = await claimMove(ledger, 'bk/k', 40, ['b']);
        assert.ok(claim);
        await put(ledger, 'bk/k', 10, ['c']);
        const outcome = await move(ledger, claim.intentId, first.copies[0]!, first.object.writeId);
        assert.equal(outcome.outcome, 'stale');
        assert.deepEqual(await copiesOf(ledger, 'bk/k'), ['c:ok']);
        assert.ok((await debts(ledger)).some(([b, k, r]) => b === 'b' && k === claim.storageKey && r === 'move-stale'));
        assert.deepEqual(await quota(ledger, 'b'), { bytesLimit: 0, bytesUsed: 0, orphanBytes: 40, inflightBytes: 0 });
      }));

    test('the key deleted while copying: the new bytes become a debt', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const first = await put(ledger, 'bk/k', 40, ['a']);
        const claim = await claimMove(ledger, 'bk/k', 40, ['b']);
        assert.ok(claim);
        await ledger.deleteObject('bk/k', noEvents);
        assert.equal((await move(ledger, claim.intentId, first.copies[0]!, first.object.writeId)).outcome, 'stale');
        assert.equal(await ledger.getObject('bk/k'), null);
        assert.ok((await debts(ledger)).some(([b, k]) => b === 'b' && k === claim.storageKey));
      }));

    test('a target that already holds a copy, or a source copy that went: conflict, the new bytes become a debt', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const written = await put(ledger, 'bk/k', 40, ['a']);
        const gone = { backendName: 'a', storageKey: 'bk/k!not-the-copy' };
        const claim = await claimMove(ledger, 'bk/k', 40, ['b']);
        assert.ok(claim);
        assert.equal((await move(ledger, claim.intentId, gone, written.object.writeId)).outcome, 'conflict');
        assert.deepEqual(await copiesOf(ledger, 'bk/k'), ['a:ok']);
        assert.ok((await debts(ledger)).some(([b, k, r]) => b === 'b' && k === claim.storageKey && r === 'move-conflict'));
        // an intent that is gone changes nothing
        assert.equal((await move(ledger, claim.intentId, written.copies[0]!, written.object.writeId)).outcome, 'intent-gone');
        assert.deepEqual(await copiesOf(ledger, 'bk/k'), ['a:ok']);
      }));
  });

  describe('drains', () => {
    test('a drain keeps claims and uploads off its backend from the moment it starts; one at a time', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        await put(ledger, 'bk/1', 10, ['a']);
        await put(ledger, 'bk/2', 20, ['a']);
        const drain = await ledger.drains.startDrain('a', (d) => [{ type: 'backend.drain.started', resource: d.backendName, data: { total: d.objectsTotal } }]);
        assert.ok(drain);
        assert.equal(drain.state, 'draining');
        assert.equal(drain.objectsTotal, 2);
        assert.equal(await ledger.drains.startDrain('a', noEvents), null);
        assert.equal((await claimWrite(ledger, 'bk/3', 5, ['a', 'b']))?.backendName, 'b');
        assert.equal(await claimWrite(ledger, 'bk/4', 5, ['a']), null);
        const upload = { objectKey: 'bk/mp', backendUploadId: 'bu-1', storageKey: 'bk/mp!u1', identity: { contentType: 'x', userMetadata: {}, headers: {} } };
        assert.equal(await ledger.createUpload({ ...upload, uploadId: 'u1', backendName: 'a' }), false);
        assert.ok((await ledger.listCleanup(null, 10)).some((d) => d.kind === 'multipart_upload' && d.backendUploadId === 'bu-1' && d.backendName === 'a'));
        assert.equal(await ledger.getUpload('u1'), null);
        assert.equal(await ledger.createUpload({ ...upload, uploadId: 'u2', backendName: 'b' }), true);
        assert.deepEqual((await ledger.drains.listActiveDrains()).map((d) => d.backendName), ['a']);
        assert.ok((await allEvents(ledger)).some((e) => e.type === 'backend.drain.started' && e.resource === 'a'));
      }));

    test('progress counts up; a drain ends once; the latest drain is the one reported; claims return after it ends', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        await put(ledger, 'bk/1', 10, ['a']);
        const drain = (await ledger.drains.startDrain('a', noEvents))!;
        await ledger.drains.recordDrainProgress(drain.id, { objects: 1, bytes: 10 });
        await ledger.drains.recordDrainProgress(drain.id, { objects: 0, bytes: 0, error: 'b1 GET failed' });
        let now = await ledger.drains.getDrain('a');
        assert.deepEqual([now?.objectsMoved, now?.bytesMoved, now?.lastError, now?.state], [1, 10, 'b1 GET failed', 'draining']);
        const cancelled = await ledger.drains.finishDrain(drain.id, 'cancelled', null, (d) => [{ type: 'backend.drain.cancelled', resource: d.backendName, data: {} }]);
        assert.equal(cancelled?.state, 'cancelled');
        assert.ok(cancelled?.finishedAt !== null);
        assert.equal(await ledger.drains.finishDrain(drain.id, 'drained', null, noEvents), null, 'ended twice');
        assert.equal((await claimWrite(ledger, 'bk/2', 5, ['a']))?.backendName, 'a');
        const again = (await ledger.drains.startDrain('a', noEvents))!;
        assert.notEqual(again.id, drain.id);
        now = await ledger.drains.getDrain('a');
        assert.equal(now?.id, again.id);
        const failed = await ledger.drains.finishDrain(again.id, 'failed', 'no target has room', noEvents);
        assert.deepEqual([failed?.state, failed?.lastError], ['failed', 'no target has room']);
        assert.deepEqual(await ledger.drains.listActiveDrains(), []);
      }));

    test('a drained backend takes no new data until it is returned to service (drained → cancelled, once)', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const drain = (await ledger.drains.startDrain('a', noEvents))!;
        assert.equal((await ledger.drains.finishDrain(drain.id, 'drained', null, noEvents))?.state, 'drained');
        assert.equal((await claimWrite(ledger, 'bk/1', 5, ['a', 'b']))?.backendName, 'b', 'a drained backend is skipped');
        assert.equal(await ledger.drains.finishDrain(drain.id, 'failed', 'late', noEvents), null, 'only a return to service ends a drained drain');
        assert.equal((await ledger.drains.finishDrain(drain.id, 'cancelled', null, noEvents))?.state, 'cancelled');
        assert.equal(await ledger.drains.finishDrain(drain.id, 'cancelled', null, noEvents), null, 'returned once');
        assert.equal((await claimWrite(ledger, 'bk/2', 5, ['a', 'b']))?.backendName, 'a');
      }));

    test('what a backend holds, and its copies page by storage key', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        for (let i = 0; i < 5; i++) await put(ledger, `bk/${i}`, 10 + i, ['a']);
        await claimWrite(ledger, 'bk/inflight', 3, ['a']);
        await ledger.createUpload({ uploadId: 'u1', objectKey: 'bk/mp', backendName: 'a', backendUploadId: 'x', storageKey: 'bk/mp!u1', identity: { contentType: 'x', userMetadata: {}, headers: {} } });
        await ledger.enqueueCleanup([{ kind: 'object', backendName: 'a', storageKey: 'old', reason: 'r', sizeBytes: 1 }]);
        assert.deepEqual(await ledger.drains.countBackendRecords('a'), { copies: 5, copyBytes: 60, intents: 1, uploads: 1, debts: 1 });
        const first = await ledger.drains.listBackendCopies('a', null, 3);
        const rest = await ledger.drains.listBackendCopies('a', first.at(-1)!.storageKey, 3);
        const keys = [...first, ...rest].map((l) => l.storageKey);
        assert.equal(keys.length, 5);
        assert.deepEqual(keys, [...keys].sort());
        assert.deepEqual(await ledger.drains.listBackendCopies('b', null, 10), []);
      }));
  });

  describe('removing a backend', () => {
    test('refused while it holds anything; once empty its quota row and drains go', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const written = await put(ledger, 'bk/1', 10, ['a']);
        await ledger.drains.startDrain('a', noEvents);
        assert.equal(await ledger.drains.removeBackend('a'), false);
        const claim = (await claimMove(ledger, 'bk/1', 10, ['b']))!;
        assert.equal((await move(ledger, claim.intentId, written.copies[0]!, written.object.writeId)).outcome, 'moved');
        assert.equal(await ledger.drains.removeBackend('a'), false, 'the source debt is still owed');
        const [debt] = await ledger.claimCleanup(10, Date.now(), 60_000);
        await ledger.completeCleanup(debt!.id);
        assert.equal(await ledger.drains.removeBackend('a'), true);
        assert.deepEqual((await ledger.getQuotas()).map((q) => q.backendName), ['b', 'c']);
        assert.equal(await ledger.drains.getDrain('a'), null);
      }));

    test('purge: copies dropped, objects with no other copy removed and reported as lost, others keep their copies', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        await put(ledger, 'bk/only-a', 10, ['a']);
        const both = await put(ledger, 'bk/both', 20, ['a']);
        const rep = (await ledger.claim({ intentId: newId(), kind: 'replica', objectKey: 'bk/both', storageKey: 'bk/both!r', sizeBytes: 20, candidates: ['b'], identity: null }))!;
        assert.equal((await ledger.commitReplica({ intentId: rep.intentId, writeId: both.object.writeId, events: noEvents })).outcome, 'replicated');
        await put(ledger, 'bk/only-b', 5, ['b']);
        await ledger.enqueueCleanup([{ kind: 'object', backendName: 'a', storageKey: 'old', reason: 'r', sizeBytes: 1 }]);

        const preview = await ledger.drains.previewPurge('a');
        assert.equal(preview.copies, 2);
        assert.deepEqual(preview.lost.map((o) => o.objectKey), ['bk/only-a']);
        assert.ok(await ledger.getObject('bk/only-a'), 'a preview changes nothing');

        const done = await ledger.drains.purgeBackend('a', (object, copies) => [{
          type: 'object.lost', resource: object.objectKey, data: { copies: copies.map((c) => c.backendName) },
        }]);
        assert.equal(done.copies, 2);
        assert.deepEqual(done.lost, [{ objectKey: 'bk/only-a', size: 10, etag: identity(10).etag }]);
        assert.equal(await ledger.getObject('bk/only-a'), null);
        assert.deepEqual(await copiesOf(ledger, 'bk/both'), ['b:ok']);
        assert.deepEqual(await copiesOf(ledger, 'bk/only-b'), ['b:ok']);
        assert.deepEqual(await ledger.drains.countBackendRecords('a'), { copies: 0, copyBytes: 0, intents: 0, uploads: 0, debts: 0 });
        assert.deepEqual((await ledger.getQuotas()).map((q) => q.backendName), ['b', 'c']);
        const lost = (await allEvents(ledger)).filter((e) => e.type === 'object.lost');
        assert.deepEqual(lost.map((e) => [e.resource, e.data.copies]), [['bk/only-a', ['a']]]);
      }));
  });
}
