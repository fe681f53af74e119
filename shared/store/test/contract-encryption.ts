// The Ledger contract, encryption part: an encrypted object's stored size is what its copy
// holds and is charged, its header is kept, found by key id and re-wrapped only while the
// object is the same write; a master key id keeps the first check value recorded for it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '../src/ids.js';
import type { Ledger } from '../src/ledger.js';
import { claimWrite, createdEvent, identity, quota, type WithLedger } from './contract-helpers.js';

async function claimMove(ledger: Ledger, objectKey: string, size: number, backend: string): Promise<string> {
  const intentId = newId();
  const claim = await ledger.claim({ intentId, kind: 'move', objectKey, storageKey: `${objectKey}!${intentId}`, sizeBytes: size, candidates: [backend], identity: null });
  assert.ok(claim);
  return intentId;
}

const HEADER_K1 = 'v=1;k=k1;c=65536;p=100;n=AAAAAAAAAAAAAAAA;w=d3JhcHBlZA';
const HEADER_K10 = 'v=1;k=k10;c=65536;p=100;n=AAAAAAAAAAAAAAAA;w=d3JhcHBlZA';

export function describeEncryptionContract(withLedger: WithLedger): void {
  describe('encryption', () => {
    test('an encrypted object keeps its header; its copy holds and is charged the stored size', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 1000 }]);
        const claim = await claimWrite(ledger, 'bk/enc', 116, ['a']);
        assert.ok(claim);
        await ledger.commitWrite({ intentId: claim.intentId, identity: identity(100, { storedSize: 116, encryption: HEADER_K1 }), events: createdEvent });
        const found = await ledger.getObject('bk/enc');
        assert.equal(found?.object.size, 100);
        assert.equal(found?.object.storedSize, 116);
        assert.equal(found?.object.encryption, HEADER_K1);
        assert.equal(found?.locations[0]?.sizeBytes, 116);
        assert.equal((await quota(ledger, 'a')).bytesUsed, 116);
      }));

    test('objects are found by key id exactly and re-wrapped only while they are the same write', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        const writes: Record<string, string> = {};
        for (const [key, header] of [['bk/1', HEADER_K1], ['bk/2', HEADER_K10], ['bk/3', HEADER_K1], ['bk/4', null]] as const) {
          const claim = await claimWrite(ledger, key, 116, ['a']);
          assert.ok(claim);
          const done = await ledger.commitWrite({ intentId: claim.intentId, identity: identity(100, { storedSize: 116, encryption: header }), events: createdEvent });
          writes[key] = done.object.writeId;
        }
        const page = await ledger.listObjectsEncryptedWith('k1', '', 10);
        assert.deepEqual(page.map((r) => r.objectKey), ['bk/1', 'bk/3']);
        assert.deepEqual((await ledger.listObjectsEncryptedWith('k1', 'bk/1', 10)).map((r) => r.objectKey), ['bk/3']);
        const rewrapped = HEADER_K1.replace('k=k1', 'k=k2');
        assert.equal(await ledger.rewrapObject('bk/1', writes['bk/1']!, rewrapped), true);
        assert.equal(await ledger.rewrapObject('bk/3', 'not-the-write', rewrapped), false);
        assert.equal((await ledger.getObject('bk/1'))?.object.encryption, rewrapped);
        assert.equal((await ledger.getObject('bk/3'))?.object.encryption, HEADER_K1);
        assert.deepEqual((await ledger.listObjectsEncryptedWith('k1', '', 10)).map((r) => r.objectKey), ['bk/3']);
      }));

    test('a stored-form rewrite swaps every copy and the header only while the object is the same write with the same copies', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        const claim = await claimWrite(ledger, 'bk/p', 100, ['a']);
        assert.ok(claim);
        const { object } = await ledger.commitWrite({ intentId: claim.intentId, identity: identity(100), events: createdEvent });
        assert.deepEqual(await ledger.listObjectsByStoredForm(false, '', 10), [{ objectKey: 'bk/p', writeId: object.writeId, encryption: null }]);
        const from = { backendName: 'a', storageKey: claim.storageKey };
        const rewrite = async (writeId: string, storageKey: string) => ledger.rewriteStoredForm({
          objectKey: 'bk/p', writeId, encryption: HEADER_K1, storedSize: 116,
          copies: [{ intentId: await claimMove(ledger, 'bk/p', 116, 'a'), from: { ...from, storageKey } }],
        });
        assert.equal(await rewrite('not-the-write', from.storageKey), 'stale');
        assert.equal(await rewrite(object.writeId, 'not-its-copy'), 'conflict');
        assert.equal((await ledger.getObject('bk/p'))?.object.encryption ?? null, null);
        assert.equal((await quota(ledger, 'a')).bytesUsed, 100);
        assert.equal((await quota(ledger, 'a')).orphanBytes, 232, 'the new bytes of both refused rewrites are owed');

        assert.equal(await rewrite(object.writeId, from.storageKey), 'rewritten');
        const found = await ledger.getObject('bk/p');
        assert.equal(found?.object.encryption, HEADER_K1);
        assert.equal(found?.object.storedSize, 116);
        assert.equal(found?.object.writeId, object.writeId, 'the same write');
        assert.equal(found?.locations.length, 1);
        assert.notEqual(found?.locations[0]?.storageKey, claim.storageKey);
        assert.equal(found?.locations[0]?.sizeBytes, 116);
        assert.deepEqual(await quota(ledger, 'a'), { ...(await quota(ledger, 'a')), bytesUsed: 116, orphanBytes: 332 });
        const debts = (await ledger.listCleanup(null, 10)).map((d) => d.reason).sort();
        assert.deepEqual(debts, ['rewrite-conflict', 'rewrite-replaced', 'rewrite-stale']);
        assert.deepEqual((await ledger.listObjectsByStoredForm(true, '', 10)).map((r) => r.objectKey), ['bk/p']);
        assert.deepEqual(await ledger.listObjectsByStoredForm(false, '', 10), []);
      }));

    test('a key id keeps the first check value recorded for it', () =>
      withLedger(async (ledger) => {
        assert.equal(await ledger.getKeyCheck('k1'), null);
        assert.equal(await ledger.registerKeyCheck('k1', 'first'), 'first');
        assert.equal(await ledger.getKeyCheck('k1'), 'first');
        assert.equal(await ledger.registerKeyCheck('k1', 'second'), 'first');
        assert.equal(await ledger.registerKeyCheck('k2', 'other'), 'other');
      }));
  });
}
