// The identity registry: config users, stored users, named grants over `*`, `all` and
// `admin-all`, revoked and unreadable credentials left out, and the refresher's rebuilds
// against a real SQLite ledger.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openLedger, type IdentitySnapshot } from '@s3o/store';
import { IdentityRefresher, IdentityRegistry, ROOT_USER, openSecrets, plainSealer, type IdentityConfig } from '../src/index.js';

const CONFIG = {
  buckets: [{ name: 'cfg', credentials: [{ accessKeyId: 'CFGKEY', secretAccessKey: 'cfg-secret' }] }],
  auth: { root: { accessKeyId: 'ROOTKEY', secretAccessKey: 'root-secret' } },
};

/** The registry as the refresher builds it: the stored secrets opened with the plain sealer first. */
async function build(config: IdentityConfig, snap: IdentitySnapshot): Promise<IdentityRegistry> {
  return IdentityRegistry.build(config, snap, await openSecrets(snap.credentials.map((c) => c.sealedSecret), plainSealer));
}

function snapshot(over: Partial<IdentitySnapshot> = {}): IdentitySnapshot {
  return { users: [], credentials: [], grants: [], buckets: [{ name: 'photos', createdAt: 5 }, { name: 'docs', createdAt: 6 }], ...over };
}

const credential = (accessKeyId: string, user: string, sealedSecret = `plain:${accessKeyId}-secret`, revokedAt: number | null = null) =>
  ({ accessKeyId, user, sealedSecret, createdAt: 1, lastUsedAt: null, revokedAt });

test('config credentials are users with all on their bucket; auth.root holds everything', async () => {
  const r = await build(CONFIG, snapshot());
  const cfgUser = r.holder('CFGKEY')!.user;
  assert.equal(r.secretOf('CFGKEY'), 'cfg-secret');
  for (const p of ['list-buckets', 'list', 'read', 'write', 'delete', 'tags'] as const) assert.ok(r.allowsBucket(cfgUser, 'cfg', p));
  assert.equal(r.allowsBucket(cfgUser, 'photos', 'read'), false);
  assert.equal(r.allowsAdmin(cfgUser, 'admin-read'), false);
  assert.deepEqual(r.visibleBuckets(cfgUser), ['cfg']);
  assert.equal(r.holder('ROOTKEY')!.user, ROOT_USER);
  assert.ok(r.allowsAdmin(ROOT_USER, 'admin-keys'));
  assert.ok(r.allowsBucket(ROOT_USER, 'docs', 'delete'));
  assert.deepEqual(r.visibleBuckets(ROOT_USER), ['cfg', 'docs', 'photos']);
});

test('a named grant overrides the * grant of its kind; all and admin-all expand', async () => {
  const r = await build(CONFIG, snapshot({
    credentials: [credential('AKIAALICE0000000', 'alice')],
    grants: [
      { user: 'alice', kind: 'bucket', name: '*', permissions: ['all'] },
      { user: 'alice', kind: 'bucket', name: 'docs', permissions: ['read'] },
      { user: 'alice', kind: 'backend', name: '*', permissions: ['admin-all'] },
      { user: 'alice', kind: 'backend', name: 'b2', permissions: ['admin-read'] },
    ],
  }));
  assert.ok(r.allowsBucket('alice', 'photos', 'write'), '* gives all');
  assert.ok(r.allowsBucket('alice', 'docs', 'read'));
  assert.equal(r.allowsBucket('alice', 'docs', 'write'), false, 'the named grant overrides *');
  assert.equal(r.allowsBucket('alice', 'nope', 'read'), false, 'no permission on a bucket that does not exist');
  assert.ok(r.allowsAdmin('alice', 'admin-drain', 'b1'));
  assert.equal(r.allowsAdmin('alice', 'admin-drain', 'b2'), false);
  assert.equal(r.allowsAdmin('alice', 'admin-keys'), false, 'backend grants do not reach orchestrator-wide operations');
  assert.deepEqual(r.visibleBuckets('alice'), ['cfg', 'docs', 'photos']);
});

test('revoked credentials, config collisions and secrets this process cannot unseal are left out', async () => {
  const r = await build(CONFIG, snapshot({
    credentials: [
      credential('AKIAREVOKED00000', 'bob', undefined, 10),
      credential('CFGKEY', 'bob'),
      credential('AKIASEALED000000', 'bob', 'aesgcm:k1:abcdef'),
      credential('AKIABOB000000000', 'bob'),
    ],
  }));
  assert.equal(r.holder('AKIAREVOKED00000'), undefined);
  assert.equal(r.holder('CFGKEY')?.source, 'config', 'the config file wins');
  assert.equal(r.holder('AKIASEALED000000'), undefined);
  assert.equal(r.holder('AKIABOB000000000')?.secret, 'AKIABOB000000000-secret');
  assert.equal(r.problems.length, 2);
});

test('the refresher loads the ledger on start and rebuilds on refresh; rebuilds asked for meanwhile are not lost', async () => {
  const ledger = await openLedger({ driver: 'sqlite', path: ':memory:', source: 't' });
  const warnings: string[] = [];
  const refresher = new IdentityRefresher({
    config: CONFIG, identity: ledger.identity, sealer: plainSealer, logger: { warn: (_o, m) => warnings.push(m), info: () => {} },
  });
  try {
    assert.ok(refresher.registry.holder('CFGKEY'), 'config users hold before the first load');
    await ledger.identity.createUser('carol');
    await ledger.identity.addCredential({ user: 'carol', accessKeyId: 'AKIACAROL0000000', sealedSecret: await plainSealer.seal('carol-secret-000000') });
    await refresher.start();
    assert.equal(refresher.registry.secretOf('AKIACAROL0000000'), 'carol-secret-000000');
    await ledger.identity.revokeCredential('AKIACAROL0000000');
    // Two asks while one runs: both resolve after a rebuild that saw the revocation.
    await Promise.all([refresher.refresh(), refresher.refresh(), refresher.refresh()]);
    assert.equal(refresher.registry.holder('AKIACAROL0000000'), undefined);
    refresher.noteUse('CFGKEY');
    assert.deepEqual(warnings, []);
  } finally {
    await refresher.stop();
    await ledger.close();
  }
});
