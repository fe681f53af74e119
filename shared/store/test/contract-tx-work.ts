// The Ledger contract, the transaction's work: every operation's quota changes, debts'
// wake-ups and events are applied by the transaction that ran it (the runner finishes the
// TxWork; no operation does), and the ledger tells its `eventsAppended` listeners after each
// transaction that appended events — never for one that appended none. Runs inside
// runLedgerContract, on every engine.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId, type BackendHolding, type HoldingKind, type Ledger, type NewEvent, type StoredEvent } from '../src/index.js';
import { allEvents, claimWrite, createdEvent, identity, put, removedEvent, type WithLedger } from './contract-helpers.js';

const uploadIdentity = { contentType: 'application/zip', userMetadata: {}, headers: {}, contentHash: null };

async function holdings(ledger: Ledger, backendName: string, kind: HoldingKind): Promise<BackendHolding[]> {
  const out: BackendHolding[] = [];
  let after = null;
  for (;;) {
    const page = await ledger.listHoldings({ backendName, kind, after, limit: 100 });
    out.push(...page);
    if (page.length < 100) return out;
    after = { storageKey: page.at(-1)!.storageKey, rowId: page.at(-1)!.rowId };
  }
}

const sum = (rows: BackendHolding[]): number => rows.reduce((n, h) => n + h.sizeBytes, 0);

/** What the ledger's rows account for, next to what the quota rows say. */
async function accounts(ledger: Ledger): Promise<{ charged: Record<string, [number, number]>; rows: Record<string, [number, number]> }> {
  const charged: Record<string, [number, number]> = {};
  const rows: Record<string, [number, number]> = {};
  for (const q of await ledger.getQuotas()) {
    charged[q.backendName] = [q.bytesUsed, q.orphanBytes];
    const owed = sum(await holdings(ledger, q.backendName, 'debt')) + sum(await holdings(ledger, q.backendName, 'dead_letter'));
    rows[q.backendName] = [sum(await holdings(ledger, q.backendName, 'copy')), owed];
  }
  return { charged, rows };
}

/** Queued debts by id → backend. */
async function queued(ledger: Ledger): Promise<Map<number, string>> {
  return new Map((await ledger.listCleanup(null, 10_000)).map((r) => [r.id, r.backendName]));
}

/**
 * Runs `step` and checks what its transaction(s) must have applied: bytes_used and
 * orphan_bytes of every backend equal what its copies and debts account for, every debt the
 * step queued is announced by a cleanup.enqueued of its backend (counts per backend), and
 * the listeners were told iff events were appended.
 */
function stepper(ledger: Ledger) {
  let told = 0;
  ledger.eventsAppended.listen(() => told++);
  return async (name: string, step: () => Promise<unknown>): Promise<StoredEvent[]> => {
    const before = await queued(ledger);
    const lastSeq = await ledger.latestEventSeq();
    told = 0;
    await step();
    const appended = await ledger.readEventsAfter(lastSeq, 10_000);
    const { charged, rows } = await accounts(ledger);
    assert.deepEqual(charged, rows, `${name}: [bytes_used, orphan_bytes] per backend match the copies and debts`);
    const newDebts = new Map<string, number>();
    for (const [id, backend] of await queued(ledger)) if (!before.has(id)) newDebts.set(backend, (newDebts.get(backend) ?? 0) + 1);
    const announced = new Map<string, number>();
    for (const e of appended.filter((e) => e.type === 'cleanup.enqueued')) {
      announced.set(e.resource, (announced.get(e.resource) ?? 0) + (e.data.count as number));
    }
    assert.deepEqual(Object.fromEntries(announced), Object.fromEntries(newDebts), `${name}: each new debt is announced`);
    assert.equal(told > 0, appended.length > 0, `${name}: listeners told iff events were appended`);
    return appended;
  };
}

export function describeTxWorkContract(withLedger: WithLedger): void {
  describe("the transaction's work", () => {
    test('eventsAppended: told once per transaction that appended events, after it committed, never for one without', () =>
      withLedger(async (ledger, clock) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        const seen: Array<Promise<StoredEvent[]>> = [];
        let from = await ledger.latestEventSeq();
        const stop = ledger.eventsAppended.listen(() => {
          // Read at once from outside the transaction: the events must be committed already.
          seen.push(ledger.readEventsAfter(from, 100));
        });
        const expect = async (what: string, appended: number, op: () => Promise<unknown>): Promise<void> => {
          seen.length = 0;
          await op();
          assert.equal(seen.length, appended > 0 ? 1 : 0, `${what}: told ${appended > 0 ? 'once' : 'never'}`);
          if (appended > 0) assert.equal((await seen[0]!).length, appended, `${what}: its events are readable when the listener runs`);
          from = await ledger.latestEventSeq();
        };

        await expect('appendEvents', 2, () => ledger.appendEvents([
          { type: 'usage.delta', resource: 'a', data: { version: 1, backend: 'a', period: '2026-01', requests: 1, egress: 0, ingress: 0, delta_id: 'd' } },
          { type: 'backend.circuit.opened', resource: 'a', data: { version: 1, backend: 'a', reason: 'test' } },
        ]));
        await expect('appendEvents of nothing', 0, () => ledger.appendEvents([]));
        const claim = await claimWrite(ledger, 'bk/k', 10, ['a']);
        assert.ok(claim);
        await expect('heartbeat', 0, () => ledger.heartbeat([claim.intentId]));
        await expect('commitWrite', 1, () => ledger.commitWrite({ intentId: claim.intentId, identity: identity(10), events: createdEvent }));
        await expect('deleteObject of an absent key', 0, () => ledger.deleteObject('bk/none', removedEvent));
        // object.removed, then cleanup.enqueued for the copy now owed
        await expect('deleteObject', 2, () => ledger.deleteObject('bk/k', removedEvent));
        const abandoned = await claimWrite(ledger, 'bk/k2', 5, ['a']);
        assert.ok(abandoned);
        await expect('abandonIntent', 1, () => ledger.abandonIntent(abandoned.intentId, 'failed write'));
        await expect('setConsumerOffset', 0, () => ledger.setConsumerOffset('c', 1));
        const [debt] = await ledger.claimCleanup(1, clock.now, 1000);
        assert.ok(debt);
        await expect('completeCleanup', 0, () => ledger.completeCleanup(debt.id));
        await expect('importObjects of two objects (one transaction)', 2, () => ledger.importObjects(['bk/i1', 'bk/i2'].map((key) => ({
          objectKey: key, backendName: 'a', storageKey: key, identity: identity(1), events: createdEvent,
        }))));
        stop();
        seen.length = 0;
        await ledger.appendEvents([{ type: 'backend.circuit.closed', resource: 'a', data: { version: 1, backend: 'a', reason: 'test' } }]);
        assert.equal(seen.length, 0, 'a removed listener is not told');
      }));

    test('every operation that records quota changes, debts or events through its TxWork gets them applied', () =>
      withLedger(async (ledger, clock) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }, { name: 'c', quotaBytes: 0 }, { name: 'd', quotaBytes: 0 }]);
        const step = stepper(ledger);

        // ---- writes
        const first = await step('commit', () => put(ledger, 'bk/k', 10, ['a']));
        assert.deepEqual(first.map((e) => e.type), ['object.created']);
        assert.deepEqual((await step('overwrite', () => put(ledger, 'bk/k', 20, ['b']))).map((e) => e.type), ['object.created', 'cleanup.enqueued']);
        const late = await claimWrite(ledger, 'bk/k', 7, ['a']);
        assert.ok(late);
        await step('If-None-Match failure', () => assert.rejects(
          ledger.commitWrite({ intentId: late.intentId, identity: identity(7), ifNoneMatchStar: true, events: createdEvent }),
        ));
        const failed = await claimWrite(ledger, 'bk/f', 3, ['c']);
        assert.ok(failed);
        await step('abandonIntent', () => ledger.abandonIntent(failed.intentId, 'failed write'));
        await step('enqueueCleanup', () => ledger.enqueueCleanup([
          { kind: 'object', backendName: 'a', storageKey: 'bk/leftover', objectKey: null, reason: 'leftover', sizeBytes: 4 },
          { kind: 'object', backendName: 'c', storageKey: 'bk/leftover2', objectKey: null, reason: 'leftover', sizeBytes: 6 },
        ]));
        await step('delete', () => ledger.deleteObject('bk/k', removedEvent));
        await put(ledger, 'bk/k', 8, ['a']);

        // ---- multipart
        const drain = await ledger.drains.startDrain('d', () => []);
        assert.ok(drain);
        await step('createUpload on a draining backend', async () => assert.equal(await ledger.createUpload({
          uploadId: newId(), objectKey: 'bk/m0', backendName: 'd', backendUploadId: 'be-0', storageKey: 'bk/m0!x', identity: uploadIdentity,
        }), false));
        await step('finishDrain', () => ledger.drains.finishDrain(drain.id, 'cancelled', null, () => []));
        const upload = newId();
        await ledger.createUpload({ uploadId: upload, objectKey: 'bk/m', backendName: 'a', backendUploadId: 'be-1', storageKey: `bk/m!${upload}`, identity: uploadIdentity });
        assert.equal(await ledger.claimPart(upload, 1, 11), true);
        await ledger.recordPart(upload, 1, 'md5-1', 'be-p1', 11);
        await step('completeMultipart', () => ledger.completeMultipart({
          uploadId: upload, objectKey: 'bk/m', parts: [{ partNumber: 1, etag: 'md5-1' }], finalEtag: 'f-1', events: createdEvent,
        }));
        const aborted = newId();
        await ledger.createUpload({ uploadId: aborted, objectKey: 'bk/m2', backendName: 'b', backendUploadId: 'be-2', storageKey: `bk/m2!${aborted}`, identity: uploadIdentity });
        assert.equal(await ledger.claimPart(aborted, 1, 13), true);
        await ledger.recordPart(aborted, 1, 'md5-1', 'be-p1', 13);
        await step('abortMultipart', () => ledger.abortMultipart(aborted, 'aborted by client'));

        // ---- cleanup queue
        const due = await ledger.claimCleanup(100, clock.now, 1000);
        assert.ok(due.length >= 3);
        await step('completeCleanup', () => ledger.completeCleanup(due[0]!.id));
        const dead: NewEvent = { type: 'cleanup.dead_lettered', resource: due[1]!.backendName, data: {
          version: 1, id: due[1]!.id, backend: due[1]!.backendName, kind: due[1]!.kind, storage_key: due[1]!.storageKey,
          object_key: due[1]!.objectKey, attempts: 1, last_error: 'refused',
        } };
        await step('deadLetterCleanup', () => ledger.deadLetterCleanup(due[1]!.id, 'refused', [dead]));
        await step('failCleanup', () => ledger.failCleanup(due[2]!.id, 'timeout', clock.now + 1000));
        await step('requeueDeadLetters', () => ledger.requeueDeadLetters(null));

        // ---- the reaper
        const stale = await claimWrite(ledger, 'bk/k', 9, ['b']);
        assert.ok(stale);
        clock.now += 1000;
        await step('promoteIntent', () => ledger.promoteIntent({ intentId: stale.intentId, heartbeatBefore: clock.now, identity: identity(9), events: createdEvent }));
        const superseded = await claimWrite(ledger, 'bk/s', 5, ['a']);
        assert.ok(superseded);
        clock.now += 1;
        await put(ledger, 'bk/s', 6, ['a']);
        clock.now += 1000;
        await step('promoteIntent superseded', () => ledger.promoteIntent({ intentId: superseded.intentId, heartbeatBefore: clock.now, identity: identity(5), events: createdEvent }));
        const reaped = await claimWrite(ledger, 'bk/r', 4, ['c']);
        assert.ok(reaped);
        clock.now += 1000;
        await step('reapIntent', () => ledger.reapIntent({ intentId: reaped.intentId, heartbeatBefore: clock.now, reason: 'incomplete' }));

        // ---- placement
        const current = (await ledger.getObject('bk/k'))!.object;
        const replica = async (backend: string) => {
          const intentId = newId();
          const claim = await ledger.claim({ intentId, kind: 'replica', objectKey: 'bk/k', storageKey: `bk/k!${intentId}`, sizeBytes: current.size, candidates: [backend], identity: null });
          assert.ok(claim);
          return claim;
        };
        const replicated = await replica('c');
        await step('commitReplica', () => ledger.commitReplica({ intentId: replicated.intentId, writeId: current.writeId, events: () => [] }));
        const staleReplica = await replica('d');
        await step('commitReplica of a rewritten object', () => ledger.commitReplica({ intentId: staleReplica.intentId, writeId: 'not-the-write', events: () => [] }));
        const moveId = newId();
        const move = await ledger.claim({ intentId: moveId, kind: 'move', objectKey: 'bk/k', storageKey: `bk/k!${moveId}`, sizeBytes: current.size, candidates: ['a'], identity: null });
        assert.ok(move);
        const source = (await ledger.getObject('bk/k'))!.locations.find((l) => l.backendName === 'c')!;
        await step('moveCopy', () => ledger.moveCopy({
          intentId: moveId, from: { backendName: 'c', storageKey: source.storageKey }, writeId: current.writeId, events: () => [],
        }));
        const moved = (await ledger.getObject('bk/k'))!.locations.find((l) => l.backendName === 'a')!;
        await step('markCopyMissing', () => ledger.markCopyMissing('bk/k', 'a', moved.storageKey));
        await step('dropCopies', () => ledger.dropCopies({ objectKey: 'bk/k', writeId: current.writeId, backends: ['a'], keepOk: 1, reason: 'missing-repaired' }));

        // ---- import, plain appends, purge
        await step('importObjects', () => ledger.importObjects(['bk/i1', 'bk/i2'].map((key, i) => ({
          objectKey: key, backendName: i === 0 ? 'c' : 'd', storageKey: key, identity: identity(2 + i), events: createdEvent,
        }))));
        await step('appendEvents', () => ledger.appendEvents([{ type: 'backend.circuit.opened', resource: 'a', data: { version: 1, backend: 'a', reason: 'test' } }]));
        const purged = await step('purgeBackend', () => ledger.drains.purgeBackend('d', (o, copies) => [{
          type: 'object.lost', resource: o.objectKey, data: { version: 1, bucket: 'bk', key: 'i2', size: o.size, etag: o.etag, copies: copies.map((c) => ({ backend: c.backendName, storage_key: c.storageKey })) },
        }]));
        assert.deepEqual(purged.map((e) => [e.type, e.resource]), [['object.lost', 'bk/i2']]);

        // Everything appended along the way has a seq of its own, in commit order.
        const seqs = (await allEvents(ledger)).map((e) => e.seq);
        assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
        assert.equal(new Set(seqs).size, seqs.length);
      }));
  });
}
