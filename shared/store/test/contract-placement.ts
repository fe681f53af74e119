// The Ledger contract, placement part: what the replication worker relies on — replica
// claims, the replica commit under the key lock (stale / duplicate / missing copy replaced),
// marking copies missing, the sweeps' pages below and above the factor, and dropping excess
// copies without ever taking the last ok one. Runs inside runLedgerContract, on every engine.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId, type CommitReplicaOutcome, type Ledger, type LocationRow } from '../src/index.js';
import { allEvents, claimWrite, identity, put, quota, type WithLedger } from './contract-helpers.js';

interface ReplicaClaim {
  intentId: string;
  backendName: string;
  storageKey: string;
}

async function claimReplica(ledger: Ledger, objectKey: string, size: number, candidates: string[]): Promise<ReplicaClaim | null> {
  const intentId = newId();
  return ledger.claim({
    intentId, kind: 'replica', objectKey, storageKey: `${objectKey}!${intentId}`, sizeBytes: size, candidates, identity: null,
  });
}

function commitReplica(ledger: Ledger, claim: ReplicaClaim, writeId: string, from = 'a'): Promise<CommitReplicaOutcome> {
  return ledger.commitReplica({
    intentId: claim.intentId,
    writeId,
    events: (c) => [{
      type: 'object.replicated',
      resource: c.object.objectKey,
      data: { version: 1, from, to: c.copy.backendName, write_id: c.object.writeId },
    }],
  });
}

/** claim + commit of a replica on the first candidate with room; asserts it committed. */
async function replicate(ledger: Ledger, objectKey: string, candidates: string[]): Promise<LocationRow> {
  const found = await ledger.getObject(objectKey);
  assert.ok(found, `${objectKey} exists`);
  const claim = await claimReplica(ledger, objectKey, found.object.size, candidates);
  assert.ok(claim, `room for a replica of ${objectKey} on ${candidates.join(',')}`);
  const outcome = await commitReplica(ledger, claim, found.object.writeId);
  assert.equal(outcome.outcome, 'replicated');
  return (outcome as Extract<CommitReplicaOutcome, { outcome: 'replicated' }>).copy;
}

async function copiesOf(ledger: Ledger, objectKey: string): Promise<Array<[string, string]>> {
  const found = await ledger.getObject(objectKey);
  return (found?.locations ?? []).map((l) => [l.backendName, l.state] as [string, string]).sort();
}

async function debts(ledger: Ledger): Promise<Array<[string, string, string]>> {
  return (await ledger.listCleanup(null, 100)).map((d) => [d.backendName, d.storageKey, d.reason] as [string, string, string]);
}

const THREE = [{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }, { name: 'c', quotaBytes: 0 }];

export function describePlacementContract(withLedger: WithLedger): void {
  describe('replication', () => {
    test('a replica claim takes space like a write and skips backends without room', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 100 }, { name: 'b', quotaBytes: 50 }, { name: 'c', quotaBytes: 100 }]);
        await put(ledger, 'bk/k', 60, ['a']);
        const claim = await claimReplica(ledger, 'bk/k', 60, ['b', 'c']);
        assert.equal(claim?.backendName, 'c');
        assert.equal((await quota(ledger, 'c')).inflightBytes, 60);
        assert.equal(await claimReplica(ledger, 'bk/k', 60, ['b']), null);
      }));

    test('a replica claim skips a draining backend', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        await put(ledger, 'bk/k', 10, ['a']);
        assert.ok(await ledger.drains.startDrain('b', () => []));
        assert.equal((await claimReplica(ledger, 'bk/k', 10, ['b', 'c']))?.backendName, 'c');
        assert.equal(await claimReplica(ledger, 'bk/k', 10, ['b']), null);
      }));

    test('a replica commits as an ok copy: bytes charged, intent ended, object.replicated with the sequencer', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const written = await put(ledger, 'bk/k', 40, ['a']);
        const claim = await claimReplica(ledger, 'bk/k', 40, ['b']);
        assert.ok(claim);
        const outcome = await commitReplica(ledger, claim, written.object.writeId);
        assert.equal(outcome.outcome, 'replicated');
        assert.ok(outcome.outcome === 'replicated');
        assert.equal(outcome.replaced, null);
        assert.deepEqual(outcome.copy, {
          objectKey: 'bk/k', backendName: 'b', storageKey: claim.storageKey, writeId: written.object.writeId, sizeBytes: 40,
          createdAt: outcome.copy.createdAt, state: 'ok',
        });
        assert.deepEqual(await copiesOf(ledger, 'bk/k'), [['a', 'ok'], ['b', 'ok']]);
        assert.deepEqual(await quota(ledger, 'b'), { bytesLimit: 0, bytesUsed: 40, orphanBytes: 0, inflightBytes: 0 });
        assert.equal(await ledger.getIntent(claim.intentId), null);
        const last = (await allEvents(ledger)).at(-1)!;
        assert.equal(last.type, 'object.replicated');
        assert.equal(last.resource, 'bk/k');
        assert.deepEqual(last.data, { version: 1, from: 'a', to: 'b', write_id: written.object.writeId, sequencer: last.sequencer });
        assert.equal(outcome.sequencer, last.sequencer);
        assert.ok(last.sequencer > written.sequencer, 'sequencers increase per key');
      }));

    test('a replica of an overwritten object becomes a debt, and the new write keeps its one copy', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const first = await put(ledger, 'bk/k', 40, ['a']);
        const claim = await claimReplica(ledger, 'bk/k', 40, ['b']);
        assert.ok(claim);
        await put(ledger, 'bk/k', 70, ['c']);
        const eventsBefore = (await allEvents(ledger)).length;
        assert.deepEqual(await commitReplica(ledger, claim, first.object.writeId), { outcome: 'stale' });
        assert.deepEqual(await copiesOf(ledger, 'bk/k'), [['c', 'ok']]);
        assert.deepEqual((await debts(ledger)).filter(([b]) => b === 'b'), [['b', claim.storageKey, 'replica-stale']]);
        assert.deepEqual(await quota(ledger, 'b'), { bytesLimit: 0, bytesUsed: 0, orphanBytes: 40, inflightBytes: 0 });
        const newEvents = (await allEvents(ledger)).slice(eventsBefore);
        assert.deepEqual(newEvents.map((e) => e.type), ['cleanup.enqueued'], 'no object.replicated for a stale copy');
        assert.equal(await ledger.getIntent(claim.intentId), null);
      }));

    test('a replica of a deleted object becomes a debt', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const written = await put(ledger, 'bk/k', 40, ['a']);
        const claim = await claimReplica(ledger, 'bk/k', 40, ['b']);
        assert.ok(claim);
        await ledger.deleteObject('bk/k', () => []);
        assert.deepEqual(await commitReplica(ledger, claim, written.object.writeId), { outcome: 'stale' });
        assert.equal(await ledger.getObject('bk/k'), null);
        assert.deepEqual((await debts(ledger)).map(([b, , r]) => [b, r]).sort(), [['a', 'deleted'], ['b', 'replica-stale']]);
        assert.equal((await quota(ledger, 'b')).orphanBytes, 40);
      }));

    test('a second replica on a backend that already has an ok copy becomes a debt', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const written = await put(ledger, 'bk/k', 40, ['a']);
        const one = await claimReplica(ledger, 'bk/k', 40, ['b']);
        const two = await claimReplica(ledger, 'bk/k', 40, ['b']);
        assert.ok(one && two);
        assert.equal((await commitReplica(ledger, one, written.object.writeId)).outcome, 'replicated');
        assert.deepEqual(await commitReplica(ledger, two, written.object.writeId), { outcome: 'duplicate' });
        assert.deepEqual(await copiesOf(ledger, 'bk/k'), [['a', 'ok'], ['b', 'ok']]);
        assert.deepEqual(await quota(ledger, 'b'), { bytesLimit: 0, bytesUsed: 40, orphanBytes: 40, inflightBytes: 0 });
        assert.deepEqual(await debts(ledger), [['b', two.storageKey, 'replica-duplicate']]);
      }));

    test('a replica whose intent is gone changes nothing', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const written = await put(ledger, 'bk/k', 40, ['a']);
        const claim = await claimReplica(ledger, 'bk/k', 40, ['b']);
        assert.ok(claim);
        await ledger.dropIntent(claim.intentId);
        assert.deepEqual(await commitReplica(ledger, claim, written.object.writeId), { outcome: 'intent-gone' });
        assert.deepEqual(await copiesOf(ledger, 'bk/k'), [['a', 'ok']]);
        assert.equal((await quota(ledger, 'b')).bytesUsed, 0);
      }));

    test('a write intent is not a replica', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const written = await put(ledger, 'bk/k', 40, ['a']);
        const claim = await claimWrite(ledger, 'bk/k', 40, ['b']);
        assert.ok(claim);
        await assert.rejects(commitReplica(ledger, claim, written.object.writeId), TypeError);
        assert.ok(await ledger.getIntent(claim.intentId), 'the failed transaction kept the intent');
      }));
  });

  describe('missing copies', () => {
    test('marking a copy missing takes it out of the count; only an ok copy at that storage key is marked', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const written = await put(ledger, 'bk/k', 40, ['a']);
        const replica = await replicate(ledger, 'bk/k', ['b']);
        assert.equal(await ledger.markCopyMissing('bk/k', 'b', 'bk/k!elsewhere'), false);
        assert.equal(await ledger.markCopyMissing('bk/other', 'b', replica.storageKey), false);
        assert.equal(await ledger.markCopyMissing('bk/k', 'b', replica.storageKey), true);
        assert.equal(await ledger.markCopyMissing('bk/k', 'b', replica.storageKey), false, 'already missing');
        assert.deepEqual(await copiesOf(ledger, 'bk/k'), [['a', 'ok'], ['b', 'missing']]);
        assert.equal((await quota(ledger, 'b')).bytesUsed, 40, 'a missing copy stays charged until it is dropped');
        const under = await ledger.listUnderReplicated({ after: null, limit: 10, factor: 2, uncounted: [] });
        assert.deepEqual(under.candidates, [{ objectKey: 'bk/k', writeId: written.object.writeId, size: 40, okCopies: 1, missingCopies: 1 }]);
        // Listed even at factor 1: the missing copy waits for its repair.
        assert.equal((await ledger.listUnderReplicated({ after: null, limit: 10, factor: 1, uncounted: [] })).candidates.length, 1);
      }));

    test('a replica on the backend of a missing copy replaces it; the missing bytes become a debt', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        await put(ledger, 'bk/k', 40, ['a']);
        const lost = await replicate(ledger, 'bk/k', ['b']);
        await ledger.markCopyMissing('bk/k', 'b', lost.storageKey);
        const found = await ledger.getObject('bk/k');
        const claim = await claimReplica(ledger, 'bk/k', 40, ['b']);
        assert.ok(claim && found);
        const outcome = await commitReplica(ledger, claim, found.object.writeId);
        assert.ok(outcome.outcome === 'replicated');
        assert.equal(outcome.replaced?.storageKey, lost.storageKey);
        assert.deepEqual(await copiesOf(ledger, 'bk/k'), [['a', 'ok'], ['b', 'ok']]);
        assert.equal((await ledger.getObject('bk/k'))!.locations.find((l) => l.backendName === 'b')!.storageKey, claim.storageKey);
        assert.deepEqual(await debts(ledger), [['b', lost.storageKey, 'missing-replaced']]);
        assert.deepEqual(await quota(ledger, 'b'), { bytesLimit: 0, bytesUsed: 40, orphanBytes: 40, inflightBytes: 0 });
        assert.deepEqual(await ledger.listUnderReplicated({ after: null, limit: 10, factor: 2, uncounted: [] }), { candidates: [], next: null });
      }));
  });

  describe('corrupt copies', () => {
    test('marking a copy corrupt takes it out of the count and announces it once, in the same transaction', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const written = await put(ledger, 'bk/k', 40, ['a']);
        const replica = await replicate(ledger, 'bk/k', ['b']);
        const report = { objectKey: 'bk/k', backendName: 'b', storageKey: replica.storageKey, writeId: written.object.writeId, reason: 'sha256', detectedBy: 'read' } as const;
        assert.equal(await ledger.markCopyCorrupt({ ...report, storageKey: 'bk/k!elsewhere' }), false, 'another storage key');
        assert.equal(await ledger.markCopyCorrupt({ ...report, writeId: 'older-write' }), false, 'another write');
        assert.equal(await ledger.markCopyCorrupt(report), true);
        assert.equal(await ledger.markCopyCorrupt(report), false, 'already corrupt');
        assert.deepEqual(await copiesOf(ledger, 'bk/k'), [['a', 'ok'], ['b', 'corrupt']]);
        assert.equal((await quota(ledger, 'b')).bytesUsed, 40, 'a corrupt copy stays charged until it is replaced');
        const under = await ledger.listUnderReplicated({ after: null, limit: 10, factor: 2, uncounted: [] });
        assert.deepEqual(under.candidates, [{ objectKey: 'bk/k', writeId: written.object.writeId, size: 40, okCopies: 1, missingCopies: 1 }]);
        const events = (await allEvents(ledger)).filter((e) => e.type === 'integrity.corruption_detected');
        assert.equal(events.length, 1);
        assert.deepEqual(events[0]!.data, {
          version: 1, bucket: 'bk', key: 'k', backend: 'b', storage_key: replica.storageKey, write_id: written.object.writeId, reason: 'sha256', detected_by: 'read',
        });
      }));

    test('a replica on the backend of a corrupt copy replaces it; the bad bytes become a debt', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const written = await put(ledger, 'bk/k', 40, ['a']);
        const bad = await replicate(ledger, 'bk/k', ['b']);
        await ledger.markCopyCorrupt({ objectKey: 'bk/k', backendName: 'b', storageKey: bad.storageKey, writeId: written.object.writeId, reason: 'authentication', detectedBy: 'scrub' });
        const claim = await claimReplica(ledger, 'bk/k', 40, ['b']);
        assert.ok(claim);
        const outcome = await commitReplica(ledger, claim, written.object.writeId);
        assert.ok(outcome.outcome === 'replicated');
        assert.equal(outcome.replaced?.storageKey, bad.storageKey);
        assert.deepEqual(await copiesOf(ledger, 'bk/k'), [['a', 'ok'], ['b', 'ok']]);
        assert.deepEqual(await debts(ledger), [['b', bad.storageKey, 'corrupt-replaced']]);
      }));

    test('a corrupt copy is dropped as a debt once the factor is met elsewhere', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const written = await put(ledger, 'bk/k', 40, ['a']);
        const bad = await replicate(ledger, 'bk/k', ['b']);
        await ledger.markCopyCorrupt({ objectKey: 'bk/k', backendName: 'b', storageKey: bad.storageKey, writeId: written.object.writeId, reason: 'length', detectedBy: 'read' });
        await replicate(ledger, 'bk/k', ['c']);
        const dropped = await ledger.dropCopies({ objectKey: 'bk/k', writeId: written.object.writeId, backends: ['b'], keepOk: 2, reason: 'corrupt-repaired' });
        assert.deepEqual(dropped.map((l) => [l.backendName, l.state]), [['b', 'corrupt']]);
        assert.deepEqual(await copiesOf(ledger, 'bk/k'), [['a', 'ok'], ['c', 'ok']]);
        assert.deepEqual(await debts(ledger), [['b', bad.storageKey, 'corrupt-repaired']]);
      }));
  });

  describe('scrubbing', () => {
    test('ok copies never verified come first, then the oldest-verified; a verified copy waits until its time is before the bound', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const one = await put(ledger, 'bk/1', 10, ['a']);
        await replicate(ledger, 'bk/1', ['b']);
        await put(ledger, 'bk/2', 20, ['a']);
        const listed = async (verifiedBefore: number, limit = 10) =>
          (await ledger.listCopiesToScrub({ verifiedBefore, limit })).map((c) => `${c.copy.objectKey}@${c.copy.backendName}:${c.verifiedAt}`);
        assert.deepEqual(await listed(1000), ['bk/1@a:null', 'bk/1@b:null', 'bk/2@a:null']);
        const onA = one.copies.find((c) => c.backendName === 'a')!;
        assert.equal(await ledger.markCopyVerified('bk/1', 'a', onA.storageKey, 500), true);
        assert.equal(await ledger.markCopyVerified('bk/1', 'a', 'bk/1!elsewhere', 600), false, 'another storage key');
        assert.deepEqual(await listed(1000), ['bk/1@b:null', 'bk/2@a:null', 'bk/1@a:500']);
        assert.deepEqual(await listed(500), ['bk/1@b:null', 'bk/2@a:null'], 'verified at the bound: not due');
        assert.deepEqual(await listed(1000, 1), ['bk/1@b:null']);
        assert.deepEqual([...(await ledger.copyVerifiedTimes('bk/1'))], [['a', 500], ['b', null]]);
        // `admin scrub --backend B`: only the copies on B.
        const onBackend = async (backendName: string) =>
          (await ledger.listCopiesToScrub({ verifiedBefore: 1000, limit: 10, backendName })).map((c) => `${c.copy.objectKey}@${c.copy.backendName}`);
        assert.deepEqual(await onBackend('b'), ['bk/1@b']);
        assert.deepEqual(await onBackend('a'), ['bk/2@a', 'bk/1@a']);
        assert.deepEqual(await onBackend('c'), []);
        // A corrupt copy is not scrubbed again.
        const onB = (await ledger.getObject('bk/1'))!.locations.find((l) => l.backendName === 'b')!;
        await ledger.markCopyCorrupt({ objectKey: 'bk/1', backendName: 'b', storageKey: onB.storageKey, writeId: one.object.writeId, reason: 'sha256', detectedBy: 'scrub' });
        assert.deepEqual(await listed(1000), ['bk/2@a:null', 'bk/1@a:500']);
      }));
  });

  describe('replication sweeps', () => {
    test('below the factor: counts ok copies outside the uncounted backends, pages by key', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        for (const key of ['bk/1', 'bk/2', 'bk/3', 'bk/4']) await put(ledger, key, 10, ['a']);
        await replicate(ledger, 'bk/2', ['b']);
        await replicate(ledger, 'bk/3', ['b']);
        await replicate(ledger, 'bk/3', ['c']);
        const keys = async (after: string | null, limit: number, factor: number, uncounted: string[]) =>
          (await ledger.listUnderReplicated({ after, limit, factor, uncounted })).candidates.map((c) => `${c.objectKey}:${c.okCopies}`);
        assert.deepEqual(await keys(null, 10, 2, []), ['bk/1:1', 'bk/4:1']);
        assert.deepEqual(await keys(null, 10, 3, []), ['bk/1:1', 'bk/2:2', 'bk/4:1']);
        assert.deepEqual(await keys(null, 2, 3, []), ['bk/1:1', 'bk/2:2']);
        assert.deepEqual(await keys('bk/2', 2, 3, []), ['bk/4:1']);
        assert.deepEqual(await keys(null, 10, 2, ['b']), ['bk/1:1', 'bk/2:1', 'bk/4:1'], 'copies on b do not count');
        assert.deepEqual(await keys(null, 10, 1, ['a']), ['bk/1:0', 'bk/4:0']);
        assert.deepEqual(await keys(null, 10, 1, []), []);
      }));

    test('above the factor: counts every ok copy, pages by key', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        for (const key of ['bk/1', 'bk/2', 'bk/3']) await put(ledger, key, 10, ['a']);
        await replicate(ledger, 'bk/1', ['b']);
        await replicate(ledger, 'bk/1', ['c']);
        const two = await replicate(ledger, 'bk/2', ['b']);
        await replicate(ledger, 'bk/2', ['c']);
        await ledger.markCopyMissing('bk/2', 'b', two.storageKey);
        const over = async (after: string | null, factor: number) =>
          (await ledger.listOverReplicated({ after, limit: 10, factor })).candidates.map((c) => `${c.objectKey}:${c.okCopies}:${c.missingCopies}`);
        assert.deepEqual(await over(null, 1), ['bk/1:3:0', 'bk/2:2:1']);
        assert.deepEqual(await over(null, 2), ['bk/1:3:0']);
        assert.deepEqual(await over('bk/1', 1), ['bk/2:2:1']);
        assert.deepEqual(await over(null, 3), []);
      }));

    test('a page examines at most `scan` objects and says where to resume, matches or not', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        for (const key of ['bk/1', 'bk/2', 'bk/3', 'bk/4', 'bk/5']) await put(ledger, key, 10, ['a']);
        await replicate(ledger, 'bk/1', ['b']);
        await replicate(ledger, 'bk/2', ['b']);
        await replicate(ledger, 'bk/3', ['b']);
        const page = async (after: string | null, limit: number) => {
          const p = await ledger.listUnderReplicated({ after, limit, scan: 2, factor: 2, uncounted: [] });
          return [p.candidates.map((c) => c.objectKey), p.next];
        };
        assert.deepEqual(await page(null, 10), [[], 'bk/2'], 'nothing below the factor in the first two: resume after the second');
        assert.deepEqual(await page('bk/2', 10), [['bk/4'], 'bk/4'], 'the range was full: there may be more');
        assert.deepEqual(await page('bk/4', 10), [['bk/5'], null], 'the range ran out: the sweep is over');
        assert.deepEqual(await page('bk/3', 1), [['bk/4'], 'bk/4'], 'the limit reached first: resume after the last match');
        assert.deepEqual(await page('bk/5', 10), [[], null]);
        const over = await ledger.listOverReplicated({ after: null, limit: 10, scan: 3, factor: 1 });
        assert.deepEqual([over.candidates.map((c) => c.objectKey), over.next], [['bk/1', 'bk/2', 'bk/3'], 'bk/3']);
      }));
  });

  describe('dropping copies', () => {
    test('drops ok copies down to keepOk in the given order: debts, bytes released, one transaction', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const written = await put(ledger, 'bk/k', 40, ['a']);
        const onB = await replicate(ledger, 'bk/k', ['b']);
        await replicate(ledger, 'bk/k', ['c']);
        const dropped = await ledger.dropCopies({
          objectKey: 'bk/k', writeId: written.object.writeId, backends: ['b', 'c', 'a'], keepOk: 2, reason: 'over-replicated',
        });
        assert.deepEqual(dropped.map((l) => l.backendName), ['b']);
        assert.deepEqual(await copiesOf(ledger, 'bk/k'), [['a', 'ok'], ['c', 'ok']]);
        assert.deepEqual(await debts(ledger), [['b', onB.storageKey, 'over-replicated']]);
        assert.deepEqual(await quota(ledger, 'b'), { bytesLimit: 0, bytesUsed: 0, orphanBytes: 40, inflightBytes: 0 });
        assert.deepEqual((await allEvents(ledger)).at(-1)?.data, { version: 1, backend: 'b', count: 1 });
      }));

    test('never drops the last ok copy, whatever keepOk says; missing copies always go', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const written = await put(ledger, 'bk/k', 40, ['a']);
        const onB = await replicate(ledger, 'bk/k', ['b']);
        await ledger.markCopyMissing('bk/k', 'b', onB.storageKey);
        const dropped = await ledger.dropCopies({
          objectKey: 'bk/k', writeId: written.object.writeId, backends: ['a', 'b'], keepOk: 0, reason: 'missing-repaired',
        });
        assert.deepEqual(dropped.map((l) => [l.backendName, l.state]), [['b', 'missing']]);
        assert.deepEqual(await copiesOf(ledger, 'bk/k'), [['a', 'ok']]);
        assert.deepEqual(await quota(ledger, 'a'), { bytesLimit: 0, bytesUsed: 40, orphanBytes: 0, inflightBytes: 0 });
      }));

    test('does nothing for an object rewritten or deleted since the plan', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends(THREE);
        const first = await put(ledger, 'bk/k', 40, ['a']);
        await replicate(ledger, 'bk/k', ['b']);
        await put(ledger, 'bk/k', 10, ['a']);
        await replicate(ledger, 'bk/k', ['b']);
        await replicate(ledger, 'bk/k', ['c']);
        const plan = { objectKey: 'bk/k', writeId: first.object.writeId, backends: ['b'], keepOk: 1, reason: 'over-replicated' };
        assert.deepEqual(await ledger.dropCopies(plan), []);
        assert.deepEqual(await copiesOf(ledger, 'bk/k'), [['a', 'ok'], ['b', 'ok'], ['c', 'ok']]);
        assert.deepEqual(await ledger.dropCopies({ ...plan, objectKey: 'bk/absent' }), []);
      }));
  });

  test('every placement change leaves quotas equal to the live copies', () =>
    withLedger(async (ledger) => {
      await ledger.syncBackends(THREE);
      const written = await put(ledger, 'bk/k', 25, ['a']);
      const onB = await replicate(ledger, 'bk/k', ['b']);
      await replicate(ledger, 'bk/k', ['c']);
      await ledger.markCopyMissing('bk/k', 'b', onB.storageKey);
      await replicate(ledger, 'bk/k', ['b']);
      await ledger.dropCopies({ objectKey: 'bk/k', writeId: written.object.writeId, backends: ['a'], keepOk: 2, reason: 'over-replicated' });
      const live = new Map<string, number>();
      for (const l of (await ledger.getObject('bk/k'))!.locations) live.set(l.backendName, (live.get(l.backendName) ?? 0) + l.sizeBytes);
      const owed = new Map<string, number>();
      for (const d of await ledger.listCleanup(null, 100)) owed.set(d.backendName, (owed.get(d.backendName) ?? 0) + d.sizeBytes);
      for (const q of await ledger.getQuotas()) {
        assert.equal(q.bytesUsed, live.get(q.backendName) ?? 0, `bytes_used of ${q.backendName}`);
        assert.equal(q.orphanBytes, owed.get(q.backendName) ?? 0, `orphan_bytes of ${q.backendName}`);
      }
      assert.deepEqual(await copiesOf(ledger, 'bk/k'), [['b', 'ok'], ['c', 'ok']]);
      assert.deepEqual((await ledger.getObject('bk/k'))!.object.size, identity(25).size);
    }));
}
