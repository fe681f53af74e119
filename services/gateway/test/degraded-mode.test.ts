// Degraded mode end to end: a real gateway over real s3rver backends and a real SQLite
// ledger, the AWS SDK as the client. The database "goes away" through a test double that
// makes every ledger call fail as an unreachable server does (test/support/unreachable-ledger.ts
// says why); degraded-postgres.test.ts repeats the essentials with a stopped Postgres.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand, CreateMultipartUploadCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand,
  HeadObjectCommand, ListObjectsV2Command, PutObjectCommand,
} from '@aws-sdk/client-s3';
import { newId, openLedger } from '@s3o/store';
import { storageKeyFor } from '../src/write/storage-key.js';
import { DegradedReader } from '../src/degraded/degraded-reader.js';
import { LocationCache } from '../src/degraded/location-cache.js';
import type { BackendClient } from '@s3o/backends';
import { silentLogger } from '@s3o/telemetry';
import { BUCKET, failureOf, startGatewayHarness, waitFor, type GatewayHarness, type HarnessOptions } from './support/gateway-harness.js';
import { switchableLedger, type SwitchableLedger } from './support/unreachable-ledger.js';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

interface Setup {
  h: GatewayHarness;
  db: SwitchableLedger;
}

async function withGateway(options: Omit<HarnessOptions, 'ledger'>, body: (setup: Setup) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 's3o-degraded-ledger-'));
  const real = await openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db'), source: 'degraded-test' });
  const db = switchableLedger(real);
  let h: GatewayHarness | null = null;
  try {
    h = await startGatewayHarness({ ...options, ledger: db.ledger });
    await body({ h, db });
  } finally {
    await h?.close();
    await real.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function put(h: GatewayHarness, key: string, body: string, extra: Partial<ConstructorParameters<typeof PutObjectCommand>[0]> = {}): Promise<void> {
  await h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ...extra }));
}

async function read(h: GatewayHarness, key: string, range?: string): Promise<string> {
  const res = await h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: range }));
  return res.Body!.transformToString();
}

test('database unreachable: GET/HEAD serve the newest write from the backends; writes and listings answer 503 and land nothing', async () => {
  // spread: the overwrite of `report.txt` lands on the other backend, so "newest" must be
  // decided across backends; no cleanup runs here, so the displaced copy stays on its backend.
  await withGateway({ routing: 'spread', circuitBreaker: { failure_threshold: 2, open_timeout: '1h' } }, async ({ h, db }) => {
    await put(h, 'docs/report.txt', 'first version', { Metadata: { color: 'red' } });
    const newest = 'second version, the one to serve';
    await put(h, 'docs/report.txt', newest, {
      ContentType: 'text/plain', CacheControl: 'max-age=60', Metadata: { color: 'blue' },
    });
    const longKey = `long/${'k'.repeat(995)}`; // with bucket and write id over 1024 bytes: hashed
    await put(h, longKey, 'stored under a hashed name');
    const oddKey = 'odd//path/%41 and space+plus';
    await put(h, oddKey, 'odd key body');
    await put(h, 'empty', '');
    const stored = await h.storedKeys();
    assert.equal(stored.filter((k) => k.includes('docs/report.txt!')).length, 2, 'both writes of report.txt are on the backends');
    assert.equal(new Set(stored.filter((k) => k.includes('docs/report.txt!')).map((k) => k.split(':')[0])).size, 2, 'on different backends');
    assert.ok(stored.some((k) => k.includes(`${BUCKET}/!h/`)), 'the long key is stored under its hash');

    db.reachable = false;
    assert.equal(await h.health(), 'ok', 'nothing has noticed yet');

    const head = await h.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'docs/report.txt' }));
    assert.equal(head.ETag, `"${md5(newest)}"`);
    assert.equal(head.ContentLength, Buffer.byteLength(newest));
    assert.equal(head.ContentType, 'text/plain');
    assert.equal(head.CacheControl, 'max-age=60');
    assert.deepEqual(head.Metadata, { color: 'blue' }, 'the client metadata only, none of the gateway\'s own');
    assert.equal(await read(h, 'docs/report.txt'), newest);
    assert.equal(db.attemptsWhileUnreachable, 2, 'each read tried the database first');
    assert.equal(await h.health(), 'degraded', 'two unreachable failures opened the breaker');

    assert.equal(await read(h, 'docs/report.txt', 'bytes=0-5'), 'second');
    assert.equal(await read(h, longKey), 'stored under a hashed name');
    assert.equal(await read(h, oddKey), 'odd key body');
    assert.equal(await read(h, 'empty'), '');
    assert.deepEqual(await failureOf(h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'never-written' }))), { status: 404, code: 'NoSuchKey' });
    const notModified = await failureOf(h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'docs/report.txt', IfNoneMatch: `"${md5(newest)}"` })));
    assert.equal(notModified.status, 304, 'conditions are evaluated against the copy found');

    const before = await h.storedKeys();
    // One at a time: each must be refused on its own, before its body is read.
    const refused = [
      () => h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'new-object', Body: 'x'.repeat(64 * 1024) })),
      () => h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'docs/report.txt', Body: 'third version' })),
      () => h.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'docs/report.txt' })),
      () => h.s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'empty' }] } })),
      () => h.s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy', CopySource: `${BUCKET}/docs/report.txt` })),
      () => h.s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'multi' })),
      () => h.s3.send(new ListObjectsV2Command({ Bucket: BUCKET })),
    ];
    for (const send of refused) assert.deepEqual(await failureOf(send()), { status: 503, code: 'ServiceUnavailable' });
    assert.deepEqual(await h.storedKeys(), before, 'no byte reached a backend');
    assert.equal(db.attemptsWhileUnreachable, 2, 'with the breaker open nothing waits on the database');
    // The degraded reads did not change what the backends hold either, and HEAD still answers.
    assert.equal((await h.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'docs/report.txt' }))).ETag, `"${md5(newest)}"`);
  });
});

test('before the breaker opens, a failing ledger call already degrades: the read falls back to the backends, the write answers 503', async () => {
  await withGateway({ circuitBreaker: { failure_threshold: 3, open_timeout: '1h' } }, async ({ h, db }) => {
    await put(h, 'k', 'kept');
    db.reachable = false;
    const before = await h.storedKeys();
    assert.deepEqual(await failureOf(put(h, 'other', 'not stored')), { status: 503, code: 'ServiceUnavailable' });
    assert.deepEqual(await h.storedKeys(), before);
    assert.equal(await read(h, 'k'), 'kept');
    assert.equal(await h.health(), 'ok', 'two failures are below the threshold of 3');
    assert.equal(await read(h, 'k'), 'kept');
    assert.equal(await h.health(), 'degraded');
  });
});

test('recovery is automatic: the breaker probes the database by itself and closes once it answers', async () => {
  await withGateway({ circuitBreaker: { failure_threshold: 1, open_timeout: '100ms' } }, async ({ h, db }) => {
    await put(h, 'before', 'written before the outage');
    db.reachable = false;
    assert.equal(await read(h, 'before'), 'written before the outage');
    assert.equal(await h.health(), 'degraded');
    assert.deepEqual(await failureOf(put(h, 'during', 'refused')), { status: 503, code: 'ServiceUnavailable' });

    // No traffic: the breaker's own probe finds the database still unreachable, and stays open.
    const attempts = db.attemptsWhileUnreachable;
    await waitFor('a background probe', () => db.attemptsWhileUnreachable > attempts);
    assert.equal(await h.health(), 'degraded');

    db.reachable = true;
    await waitFor('the breaker to close without a request', async () => (await h.health()) === 'ok');
    await put(h, 'after', 'written after the outage');
    const listed = await h.s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    assert.deepEqual(listed.Contents?.map((c) => c.Key), ['after', 'before']);
    assert.equal(await read(h, 'after'), 'written after the outage');
  });
});

test('a copy that names another key is never served; names under the prefix that are not write ids are ignored', async () => {
  // Sequential broadcast, to cover that path too.
  await withGateway({ circuitBreaker: { failure_threshold: 1, open_timeout: '1h', parallel_broadcast: false } }, async ({ h, db }) => {
    await put(h, 'target', 'the real object');
    const [b1, b2] = h.backends;
    // Newer than the real write, at the key's own storage prefix, but its metadata says it is another key's.
    const foreign = storageKeyFor(BUCKET, 'target', newId());
    await b2!.raw.putObject(foreign, Readable.from([Buffer.from('not this key')]), {
      contentLength: 12, metadata: { 's3o-key': 'someone-else', 's3o-bucket': BUCKET },
    });
    await b1!.raw.putObject(`${BUCKET}/target!not-a-write-id`, Readable.from([Buffer.from('stray')]), { contentLength: 5 });

    db.reachable = false;
    assert.equal(await read(h, 'target'), 'the real object');
    const head = await h.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'target' }));
    assert.equal(head.ETag, `"${md5('the real object')}"`);
  });
});

test('bytes a cut-off write left behind (fewer than it announced) are never served: the newest whole write is, or 404', async () => {
  // Found by the chaos suite (docs/reliability.md): a streamed PUT failed mid-body, the
  // backend kept what it had received (owed to cleanup), and a degraded HEAD served it.
  await withGateway({ circuitBreaker: { failure_threshold: 1, open_timeout: '1h' } }, async ({ h, db }) => {
    await put(h, 'target', 'the real object');
    const [b1, b2] = h.backends;
    const leftover = (key: string) => ({ contentLength: 7, metadata: { 's3o-key': key, 's3o-bucket': BUCKET, 's3o-size': '1000' } });
    // Newer than the real write, and this key's own, but 7 of the 1000 bytes it announced.
    await b2!.raw.putObject(storageKeyFor(BUCKET, 'target', newId()), Readable.from([Buffer.from('cut off')]), leftover('target'));
    // A key whose only write was cut off: it was never written.
    await b1!.raw.putObject(storageKeyFor(BUCKET, 'never-written', newId()), Readable.from([Buffer.from('cut off')]), leftover('never-written'));

    db.reachable = false;
    assert.equal(await read(h, 'target'), 'the real object');
    const head = await h.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'target' }));
    assert.equal(head.ContentLength, 'the real object'.length);
    const missing = await failureOf(h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'never-written' })));
    assert.deepEqual(missing, { status: 404, code: 'NoSuchKey' });
  });
});

test('a backend that does not answer: uncached degraded reads answer 503, a cached location keeps serving', async () => {
  await withGateway({ circuitBreaker: { failure_threshold: 1, open_timeout: '1h', cache_ttl: '1h' } }, async ({ h, db }) => {
    await put(h, 'cached', 'on the first backend');
    await put(h, 'uncached', 'also on the first backend');
    db.reachable = false;
    assert.equal(await read(h, 'cached'), 'on the first backend'); // remembers where `cached` is

    await h.backends[1]!.process.stop(); // holds none of them, but cannot say so any more
    assert.equal(await read(h, 'cached'), 'on the first backend');
    // A newer write of `uncached` could be on the silent backend: no guess.
    assert.deepEqual(await failureOf(h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'uncached' }))), { status: 503, code: 'ServiceUnavailable' });
  });
});

test('a remembered location whose copy is gone is forgotten: the next read asks the backends again', async () => {
  await withGateway({ circuitBreaker: { failure_threshold: 1, open_timeout: '1h', cache_ttl: '1h' } }, async ({ h, db }) => {
    await put(h, 'short-lived', 'soon gone');
    db.reachable = false;
    assert.equal(await read(h, 'short-lived'), 'soon gone');
    // Its bytes go, as cleanup removes them after a delete.
    const [stored] = (await h.storedKeys()).filter((k) => k.includes('short-lived!'));
    const [backendName, storageKey] = [stored!.slice(0, stored!.indexOf(':')), stored!.slice(stored!.indexOf(':') + 1)];
    await h.backends.find((b) => b.name === backendName)!.raw.deleteObject(storageKey);
    assert.deepEqual(await failureOf(h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'short-lived' }))), { status: 404, code: 'NoSuchKey' });
    assert.deepEqual(await failureOf(h.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'short-lived' }))), { status: 404, code: 'NotFound' });
  });
});

test('the newest copy vanishing between the listing and its HEAD (cleanup paying a leftover) is asked again, never a 404 for an object that is there', async () => {
  await withGateway({ circuitBreaker: { failure_threshold: 1, open_timeout: '1h' } }, async ({ h }) => {
    await put(h, 'changing', 'the object');
    // A later attempt's leftover on a backend (as a failed replica leaves): newer than the
    // write, owed, and deleted by cleanup just after the reader listed it.
    const [first] = h.backends;
    const leftover = storageKeyFor(BUCKET, 'changing', newId());
    await first!.raw.putObject(leftover, Readable.from([Buffer.from('partial')]), { contentLength: 7, metadata: { 's3o-bucket': BUCKET, 's3o-key': 'changing' } });
    let paid = false;
    const racing = new Proxy(first!.raw, {
      get(target, name, receiver) {
        if (name !== 'listObjects') return Reflect.get(target, name, receiver);
        return async (...args: Parameters<BackendClient['listObjects']>) => {
          const page = await target.listObjects(...args);
          if (!paid) {
            paid = true;
            await target.deleteObject(leftover);
          }
          return page;
        };
      },
    });
    const reader = new DegradedReader({
      backends: new Map(h.backends.map((b) => [b.name, b === first ? racing : b.raw])),
      settings: h.config.circuitBreaker, cache: new LocationCache(60_000), logger: silentLogger(),
    });
    const found = await reader.lookup(BUCKET, 'changing', 'test');
    assert.equal(found.object.size, 'the object'.length);
    assert.equal(paid, true, 'the leftover was listed, then gone');
  });
});

test('degraded_reads_enabled: false makes reads answer 503 as well', async () => {
  await withGateway({ circuitBreaker: { failure_threshold: 1, open_timeout: '1h', degraded_reads_enabled: false } }, async ({ h, db }) => {
    await put(h, 'k', 'v');
    db.reachable = false;
    assert.deepEqual(await failureOf(h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'k' }))), { status: 503, code: 'ServiceUnavailable' });
    assert.equal(await h.health(), 'degraded');
  });
});
