// The Ledger contract, identity part (docs/architecture.md §4 "Identity"): users, credentials,
// grants and stored buckets — the permission names as upstream spells them, grants that mix
// bucket and control-plane permissions refused, refusals that name the field, the conditions
// on deleting a user or a bucket, and one identity.changed per change. Runs inside
// runLedgerContract, on every engine.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ADMIN_PERMISSIONS, BUCKET_PERMISSIONS, IdentityError, type ConfiguredResources, type Ledger } from '../src/index.js';
import { allEvents, put, type WithLedger } from './contract-helpers.js';

const CONFIGURED: ConfiguredResources = { buckets: new Set(['cfg']), backends: new Set(['a']) };
const KEY = 'AKIAIDENTITYTEST0001';

/** Asserts that `promise` is refused with this reason, naming this field. */
async function refused(promise: Promise<unknown>, reason: IdentityError['reason'], field: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof IdentityError, `an IdentityError, not ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    assert.equal(err.field, field, err.message);
    return true;
  });
}

async function identityEvents(ledger: Ledger): Promise<string[]> {
  return (await allEvents(ledger))
    .filter((e) => e.type === 'identity.changed')
    .map((e) => `${(e.data as { change: string }).change} ${(e.data as { subject: string }).subject}`);
}

export function describeIdentityContract(withLedger: WithLedger): void {
  describe('identity', () => {
    test('the permission names are upstream\'s', () => {
      assert.deepEqual([...BUCKET_PERMISSIONS], ['list-buckets', 'list', 'read', 'write', 'delete', 'tags', 'all']);
      assert.deepEqual([...ADMIN_PERMISSIONS], [
        'admin-read', 'admin-maintain', 'admin-drain', 'admin-decommission', 'admin-provision', 'admin-keys', 'admin-all',
      ]);
    });

    test('a user with a credential and grants is one snapshot; every change appends identity.changed', () =>
      withLedger(async (ledger) => {
        await ledger.identity.createUser('alice');
        await ledger.identity.addCredential({ user: 'alice', accessKeyId: KEY, sealedSecret: 'plain:s3cr3t' });
        await ledger.identity.createBucket('photos', CONFIGURED);
        await ledger.identity.putGrant({ user: 'alice', kind: 'bucket', name: 'photos', permissions: ['read', 'list', 'read'], mode: 'set' }, CONFIGURED);
        await ledger.identity.putGrant({ user: 'alice', kind: 'bucket', name: 'photos', permissions: ['write'], mode: 'add' }, CONFIGURED);
        await ledger.identity.putGrant({ user: 'alice', kind: 'bucket', name: '*', permissions: ['list-buckets'], mode: 'set' }, CONFIGURED);
        await ledger.identity.putGrant({ user: 'alice', kind: 'backend', name: 'a', permissions: ['admin-drain'], mode: 'set' }, CONFIGURED);
        const snap = await ledger.identity.snapshot();
        assert.deepEqual(snap.users.map((u) => u.name), ['alice']);
        assert.deepEqual(snap.credentials.map((c) => [c.accessKeyId, c.user, c.sealedSecret, c.revokedAt]), [[KEY, 'alice', 'plain:s3cr3t', null]]);
        assert.deepEqual(snap.grants.map((g) => [g.kind, g.name, g.permissions]), [
          ['backend', 'a', ['admin-drain']],
          ['bucket', '*', ['list-buckets']],
          ['bucket', 'photos', ['list', 'read', 'write']],
        ]);
        assert.deepEqual(snap.buckets.map((b) => b.name), ['photos']);
        assert.deepEqual(await identityEvents(ledger), [
          'user.created alice', `credential.issued ${KEY}`, 'bucket.created photos',
          'grant.changed alice bucket:photos', 'grant.changed alice bucket:photos', 'grant.changed alice bucket:*', 'grant.changed alice backend:a',
        ]);
        assert.ok(!(await allEvents(ledger)).some((e) => JSON.stringify(e.data).includes('s3cr3t')), 'no event carries the secret');
      }));

    test('grants: unknown permissions, mixed ones, unknown resources and kinds are refused, naming the field', () =>
      withLedger(async (ledger) => {
        await ledger.identity.createUser('bob');
        const grant = (kind: string, name: string, permissions: string[]) =>
          ledger.identity.putGrant({ user: 'bob', kind: kind as 'bucket', name, permissions, mode: 'set' }, CONFIGURED);
        await refused(grant('bucket', 'cfg', ['read', 'fly']), 'invalid', 'permissions');
        await refused(grant('bucket', 'cfg', ['read', 'admin-drain']), 'invalid', 'permissions');
        await refused(grant('backend', 'a', ['admin-drain', 'read']), 'invalid', 'permissions');
        await refused(grant('bucket', 'cfg', ['admin-read']), 'invalid', 'permissions');
        await refused(grant('orchestrator', '*', ['all']), 'invalid', 'permissions');
        await refused(grant('bucket', 'cfg', []), 'invalid', 'permissions');
        await refused(grant('planet', 'cfg', ['read']), 'invalid', 'kind');
        await refused(grant('bucket', 'nope', ['read']), 'not-found', 'name');
        await refused(grant('backend', 'zz', ['admin-drain']), 'not-found', 'name');
        await refused(grant('orchestrator', 'x', ['admin-all']), 'invalid', 'name');
        await refused(ledger.identity.putGrant({ user: 'nobody', kind: 'bucket', name: 'cfg', permissions: ['read'], mode: 'set' }, CONFIGURED), 'not-found', 'user');
        assert.deepEqual((await ledger.identity.snapshot()).grants, []);
        // A config bucket can be granted, and `add` merges while `set` replaces.
        await grant('bucket', 'cfg', ['read']);
        await ledger.identity.putGrant({ user: 'bob', kind: 'bucket', name: 'cfg', permissions: ['delete'], mode: 'add' }, CONFIGURED);
        assert.deepEqual((await ledger.identity.snapshot()).grants.map((g) => g.permissions), [['delete', 'read']]);
        await grant('bucket', 'cfg', ['tags']);
        assert.deepEqual((await ledger.identity.snapshot()).grants.map((g) => g.permissions), [['tags']]);
        assert.equal(await ledger.identity.removeGrant('bob', 'bucket', 'cfg'), true);
        assert.equal(await ledger.identity.removeGrant('bob', 'bucket', 'cfg'), false);
      }));

    test('users and credentials: duplicates, bad names and keys refused; a user with a live credential is not deleted', () =>
      withLedger(async (ledger) => {
        await ledger.identity.createUser('carol');
        await refused(ledger.identity.createUser('carol'), 'conflict', 'name');
        await refused(ledger.identity.createUser('config:carol'), 'invalid', 'name');
        await refused(ledger.identity.createUser(''), 'invalid', 'name');
        await ledger.identity.addCredential({ user: 'carol', accessKeyId: KEY, sealedSecret: 'plain:x' });
        await ledger.identity.createUser('dave');
        await refused(ledger.identity.addCredential({ user: 'dave', accessKeyId: KEY, sealedSecret: 'plain:y' }), 'conflict', 'access_key_id');
        await refused(ledger.identity.addCredential({ user: 'dave', accessKeyId: 'short', sealedSecret: 'plain:y' }), 'invalid', 'access_key_id');
        await refused(ledger.identity.addCredential({ user: 'erin', accessKeyId: 'AKIAIDENTITYTEST0002', sealedSecret: 'plain:y' }), 'not-found', 'user');
        await refused(ledger.identity.renameUser('carol', 'dave'), 'conflict', 'new_name');
        await refused(ledger.identity.renameUser('zed', 'zara'), 'not-found', 'name');
        await ledger.identity.renameUser('carol', 'caroline');
        assert.equal((await ledger.identity.snapshot()).credentials[0]?.user, 'caroline', 'the credential follows the rename');

        await refused(ledger.identity.deleteUser('caroline'), 'conflict', 'name');
        const revoked = await ledger.identity.revokeCredential(KEY);
        assert.ok(revoked.revokedAt !== null);
        assert.equal((await ledger.identity.revokeCredential(KEY)).revokedAt, revoked.revokedAt, 'revoking twice keeps the first time');
        await refused(ledger.identity.revokeCredential('AKIANOSUCHKEY0000000'), 'not-found', 'access_key_id');
        await ledger.identity.deleteUser('caroline');
        const snap = await ledger.identity.snapshot();
        assert.deepEqual(snap.users.map((u) => u.name), ['dave']);
        assert.deepEqual(snap.credentials, [], 'its revoked credentials went with it');
        assert.equal((await identityEvents(ledger)).filter((e) => e.startsWith('credential.revoked')).length, 1);
      }));

    test('stored buckets: no config name, no duplicate; deleting one that holds objects or is granted is refused', () =>
      withLedger(async (ledger) => {
        await refused(ledger.identity.createBucket('cfg', CONFIGURED), 'conflict', 'name');
        await ledger.identity.createBucket('docs', CONFIGURED);
        await refused(ledger.identity.createBucket('docs', CONFIGURED), 'conflict', 'name');
        await ledger.identity.createUser('fay');
        await ledger.identity.putGrant({ user: 'fay', kind: 'bucket', name: 'docs', permissions: ['all'], mode: 'set' }, CONFIGURED);
        await refused(ledger.identity.deleteBucket('docs'), 'conflict', 'name');
        await ledger.identity.removeGrant('fay', 'bucket', 'docs');
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        // `docsx/...` sorts right after `docs/...` and is another bucket's: it does not count.
        await put(ledger, 'docsx/k', 1, ['a']);
        await put(ledger, 'docs/k', 1, ['a']);
        await refused(ledger.identity.deleteBucket('docs'), 'conflict', 'name');
        assert.deepEqual((await ledger.identity.snapshot()).buckets.map((b) => b.name), ['docs'], 'a refused delete changed nothing');
        await ledger.deleteObject('docs/k', () => []);
        await ledger.identity.deleteBucket('docs');
        await refused(ledger.identity.deleteBucket('docs'), 'not-found', 'name');
        await refused(ledger.identity.deleteBucket('cfg'), 'not-found', 'name');
        assert.deepEqual((await ledger.identity.snapshot()).buckets, []);
      }));

    test('a grant racing the deletion of its bucket: one of them wins, never a grant on a deleted bucket', () =>
      withLedger(async (ledger) => {
        await ledger.identity.createUser('gus');
        for (let i = 0; i < 5; i++) {
          const name = `race${i}`;
          await ledger.identity.createBucket(name, CONFIGURED);
          const [granted, deleted] = await Promise.allSettled([
            ledger.identity.putGrant({ user: 'gus', kind: 'bucket', name, permissions: ['read'], mode: 'set' }, CONFIGURED),
            ledger.identity.deleteBucket(name),
          ]);
          const snap = await ledger.identity.snapshot();
          const bucketLeft = snap.buckets.some((b) => b.name === name);
          const grantLeft = snap.grants.some((g) => g.name === name);
          assert.ok(!(grantLeft && !bucketLeft), 'no grant names a deleted bucket');
          assert.notEqual(granted.status === 'fulfilled', deleted.status === 'fulfilled', 'exactly one succeeded');
          if (grantLeft) await ledger.identity.removeGrant('gus', 'bucket', name);
        }
      }));

    test('the same user made twice at once (two gateways): one is made, the other refused; nothing half-made', () =>
      withLedger(async (ledger) => {
        const results = await Promise.allSettled([ledger.identity.createUser('ivy'), ledger.identity.createUser('ivy')]);
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        const failure = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        assert.ok(failure.reason instanceof IdentityError && failure.reason.reason === 'conflict');
        const keys = await Promise.allSettled([
          ledger.identity.addCredential({ user: 'ivy', accessKeyId: KEY, sealedSecret: 'plain:a' }),
          ledger.identity.addCredential({ user: 'ivy', accessKeyId: KEY, sealedSecret: 'plain:b' }),
        ]);
        assert.equal(keys.filter((r) => r.status === 'fulfilled').length, 1);
        const snap = await ledger.identity.snapshot();
        assert.deepEqual(snap.users.map((u) => u.name), ['ivy']);
        assert.equal(snap.credentials.length, 1);
        assert.equal((await identityEvents(ledger)).length, 2, 'one event per change that happened');
      }));

    test('last-used times only move forward and append no event', () =>
      withLedger(async (ledger) => {
        await ledger.identity.createUser('hal');
        await ledger.identity.addCredential({ user: 'hal', accessKeyId: KEY, sealedSecret: 'plain:x' });
        const before = (await allEvents(ledger)).length;
        await ledger.identity.touchCredentials([{ accessKeyId: KEY, at: 2000 }]);
        await ledger.identity.touchCredentials([{ accessKeyId: KEY, at: 1000 }]);
        assert.equal((await ledger.identity.snapshot()).credentials[0]?.lastUsedAt, 2000);
        assert.equal((await allEvents(ledger)).length, before);
      }));
  });
}
