// Lifecycle expiry leaves delete markers like a client delete (docs/architecture.md §4 "Deletes
// do not come back"): an expired key whose bytes cleanup has not deleted yet stays deleted when
// the ledger is rebuilt from the backends; an object the rule spares — before the delete, or
// only under the key lock because it was overwritten meanwhile — keeps no marker, and comes
// back from a rebuild. Real s3rver backends, SQLite ledgers in a temp directory.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createBackendClients, type BackendClient } from '@s3o/backends';
import { LifecycleExpiry, type CleanupDeps } from '@s3o/cleanup';
import { parseConfig, type Config } from '@s3o/config';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import { mergeFromBackends, rebuildLedger } from '@s3o/placement';
import { backupSqliteLedger, isDeleteMarker, newId, openLedger, type Ledger } from '@s3o/store';
import { silentLogger } from '@s3o/telemetry';

const BACKEND_BUCKET = 'store';
const DAY = 24 * 60 * 60 * 1000;
const never = new AbortController().signal;

describe('lifecycle expiry writes delete markers', () => {
  let dir: string;
  const servers: S3rverProcess[] = [];
  let config: Config;
  let backends: Map<string, BackendClient>;
  const ledgers: Ledger[] = [];
  const clock = { now: Date.UTC(2026, 0, 1) };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 's3o-lifecycle-markers-'));
    for (const name of ['b1', 'b2']) servers.push(await startS3rver({ dir: join(dir, name), buckets: [BACKEND_BUCKET] }));
    const tree = {
      server: { listen_addr: '127.0.0.1:0', backend_timeout: '15s' },
      buckets: [{ name: 'photos', credentials: [{ access_key_id: 'AK-photos', secret_access_key: 'secret-photos' }] }],
      database: { driver: 'sqlite', path: join(dir, 'ledger.db') },
      backends: servers.map((s, i) => ({
        name: `b${i + 1}`, endpoint: s.endpoint, bucket: BACKEND_BUCKET, access_key_id: 'S3RVER', secret_access_key: 'S3RVER',
      })),
      lifecycle: { interval: '1m', rules: [{ prefix: 'tmp/', expiration_days: 1 }] },
      logging: { level: 'warn' },
    };
    config = parseConfig(JSON.stringify(tree), {}).config;
    backends = createBackendClients(config.backends.map((b) => ({ ...b, timeoutMs: config.server.backendTimeoutMs })));
  });
  after(async () => {
    for (const ledger of ledgers) await ledger.close();
    for (const client of backends.values()) client.close();
    for (const server of servers) await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function ledgerAt(file: string): Promise<Ledger> {
    const ledger = await openLedger({ driver: 'sqlite', path: join(dir, file), source: 'lifecycle-markers-test', clock: () => clock.now });
    ledgers.push(ledger);
    await ledger.syncBackends(config.backends.map((b) => ({ name: b.name, quotaBytes: b.quotaBytes })));
    return ledger;
  }

  /** A PUT as the gateway makes it (claim, bytes with the metadata a rebuild reads, commit), then a replica per further backend named. */
  async function write(ledger: Ledger, key: string, body: string, on: string[]): Promise<void> {
    const data = Buffer.from(body);
    const etag = createHash('md5').update(data).digest('hex');
    const identity = { size: data.length, etag, contentType: 'text/plain', userMetadata: {}, headers: {} };
    const writeId = newId(clock.now);
    const objectKey = `photos/${key}`;
    const metadata = { 's3o-bucket': 'photos', 's3o-key': encodeURIComponent(key), 's3o-etag': etag, 's3o-write': writeId, 's3o-size': String(data.length) };
    const land = (backend: string, storageKey: string) =>
      backends.get(backend)!.putObject(storageKey, Readable.from([data]), { contentLength: data.length, contentType: 'text/plain', metadata });
    assert.ok(await ledger.claim({ intentId: writeId, kind: 'write', objectKey, storageKey: `${objectKey}!${writeId}`, sizeBytes: data.length, candidates: [on[0]!], identity }));
    await land(on[0]!, `${objectKey}!${writeId}`);
    await ledger.commitWrite({ intentId: writeId, identity, events: () => [] });
    for (const backend of on.slice(1)) {
      const intentId = newId(clock.now);
      const claim = await ledger.claim({ intentId, kind: 'replica', objectKey, storageKey: `${objectKey}!${intentId}`, sizeBytes: data.length, candidates: [backend], identity: null });
      assert.ok(claim);
      await land(backend, claim.storageKey);
      await ledger.commitReplica({ intentId, writeId, events: () => [] });
    }
  }

  async function markers(): Promise<string[]> {
    const out: string[] = [];
    for (const [name, client] of backends) {
      const page = await client.listObjects({ maxKeys: 1000 });
      for (const { key } of page.keys) if (isDeleteMarker(key)) out.push(`${name}:${key}`);
    }
    return out.sort();
  }

  const depsOf = (ledger: Ledger): CleanupDeps => ({ config, ledger, backends, logger: silentLogger(), clock: () => clock.now });

  test('an expired key stays deleted after a rebuild; a spared one comes back, with no marker', { timeout: 120_000 }, async () => {
    const ledger = await ledgerAt('ledger.db');
    await write(ledger, 'tmp/old', 'expires', ['b1', 'b2']);
    await write(ledger, 'keep/old', 'kept: outside the prefix', ['b1']);
    clock.now += 2 * DAY;
    await write(ledger, 'tmp/young', 'spared: not a day old', ['b2']);

    assert.deepEqual(await new LifecycleExpiry(depsOf(ledger)).pass(never), { expired: 1 });
    assert.equal(await ledger.getObject('photos/tmp/old'), null);
    // One marker per copy, beside it; the spared objects have none. The bytes are still there
    // (cleanup has not run): the window a rebuild could resurrect the key from.
    const found = await markers();
    assert.equal(found.length, 2, found.join(', '));
    assert.ok(found.every((m) => m.includes('photos/tmp/old!')), found.join(', '));
    assert.deepEqual((await ledger.listCleanup(null, 10)).map((d) => [d.backendName, d.reason, d.markerBackend]).sort(),
      [['b1', 'deleted', 'b1'], ['b2', 'deleted', 'b2']]);

    const rebuilt = await ledgerAt('rebuilt.db');
    const report = await rebuildLedger({ ledger: rebuilt, clients: [...backends.values()], buckets: new Set(['photos']), dryRun: false });
    assert.equal(report.failed, 0);
    assert.equal(report.deleted, 1, 'the expired key is kept deleted');
    assert.equal(await rebuilt.getObject('photos/tmp/old'), null);
    assert.ok(await rebuilt.getObject('photos/keep/old'));
    assert.ok(await rebuilt.getObject('photos/tmp/young'));
  });

  test('an object overwritten between the read and the delete keeps no marker of the delete that did not happen', { timeout: 120_000 }, async () => {
    const ledger = await ledgerAt('race.db');
    await write(ledger, 'tmp/raced', 'old bytes', ['b1']);
    clock.now += 2 * DAY;
    const before = new Set(await markers());
    // The overwrite lands right after the expiry read the object: the ledger's delete, under
    // the key lock, finds a fresh object and spares it.
    const racing: Ledger = Object.create(ledger, {
      getObject: {
        value: async (objectKey: string) => {
          const found = await ledger.getObject(objectKey);
          if (objectKey === 'photos/tmp/raced') await write(ledger, 'tmp/raced', 'new bytes', ['b1']);
          return found;
        },
      },
    });
    assert.deepEqual(await new LifecycleExpiry(depsOf(racing)).pass(never), { expired: 0 });
    assert.deepEqual((await markers()).filter((m) => !before.has(m)), [], 'the markers written for the spared object were removed');
    const live = await ledger.getObject('photos/tmp/raced');
    assert.ok(live);

    const rebuilt = await ledgerAt('race-rebuilt.db');
    const report = await rebuildLedger({ ledger: rebuilt, clients: [...backends.values()], buckets: new Set(['photos']), dryRun: false });
    assert.equal(report.failed, 0);
    assert.equal((await rebuilt.getObject('photos/tmp/raced'))?.object.writeId, live.object.writeId);
  });

  test('a backup taken before an expiry, restored and merged with the backends, has the key deleted by its markers', { timeout: 120_000 }, async () => {
    const ledger = await ledgerAt('merge.db');
    await write(ledger, 'tmp/merge-old', 'expires after the backup', ['b1', 'b2']);
    await write(ledger, 'keep/merge', 'stays', ['b2']);
    await backupSqliteLedger(join(dir, 'merge.db'), join(dir, 'merge-backup.db'));
    clock.now += 2 * DAY;
    const before = new Set(await markers());
    assert.deepEqual(await new LifecycleExpiry(depsOf(ledger)).pass(never), { expired: 1 });
    assert.equal((await markers()).filter((m) => !before.has(m)).length, 2);

    // The backup still holds the expired key; its bytes and markers are on the backends.
    const restored = await ledgerAt('merge-backup.db');
    assert.ok(await restored.getObject('photos/tmp/merge-old'));
    const report = await mergeFromBackends({ ledger: restored, clients: [...backends.values()], buckets: new Set(['photos']), dryRun: false });
    assert.equal(report.failed, 0);
    assert.equal(report.deleted, 1, 'deleted since the backup, by its markers');
    assert.equal(await restored.getObject('photos/tmp/merge-old'), null);
    assert.ok(await restored.getObject('photos/keep/merge'));
    // Its copies are owed as a delete's, so cleanup removes their markers after the bytes.
    const owed = (await restored.listCleanup(null, 100)).filter((d) => d.objectKey === 'photos/tmp/merge-old');
    assert.deepEqual(owed.map((d) => [d.reason, d.markerBackend === d.backendName]).sort(), [['deleted', true], ['deleted', true]]);
  });
});
