// admin encrypt-existing / decrypt-existing / rewrite-headers over a real gateway's ledger (real
// s3rver backends, SQLite, the AWS SDK): objects stored in plaintext are encrypted copy by copy
// (no plaintext left on a backend, quotas charged the stored size, the old bytes owed to
// cleanup) and back; a client's overwrite while a rewrite is in flight wins; a pass is
// resumable; after a rotation the backend copies' headers name the new key.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { openConfiguredKeys, type KeySource } from '@s3o/crypto';
import { newId, openLedger, storageKeyForInternal, type Ledger } from '@s3o/store';
import { BUCKET, failureOf, startGatewayHarness, type GatewayHarness } from '../../gateway/test/support/gateway-harness.js';
import { switchableLedger } from '../../gateway/test/support/unreachable-ledger.js';
import { copyBytes } from '@s3o/placement';
import { rotateKey } from '../src/rotate-key.js';
import { runStoredFormPass, type PassProgress } from '../src/stored-form/pass.js';
import type { RewriteDeps, StoredForm } from '../src/stored-form/rewrite.js';

const K1 = Buffer.alloc(32, 1).toString('base64');
const K2 = Buffer.alloc(32, 2).toString('base64');
const key = (id: string, material: string) => ({ id, key: material, file: null });
const MARKER = 'PLAINTEXT-MARKER-';

async function readAll(body: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Every copy of every object, as the backend holds it. */
async function storedCopies(h: GatewayHarness, ledger: Ledger, keys: string[]) {
  const out: Array<{ key: string; backend: string; bytes: Buffer; meta: Record<string, string>; header: string | null | undefined }> = [];
  for (const k of keys) {
    const found = await ledger.getObject(`${BUCKET}/${k}`);
    assert.ok(found, k);
    for (const copy of found.locations) {
      const raw = h.backends.find((b) => b.name === copy.backendName)!.raw;
      const got = await raw.getObject(copy.storageKey);
      out.push({ key: k, backend: copy.backendName, bytes: await readAll(got.body), meta: got.headers.metadata, header: found.object.encryption });
    }
  }
  return out;
}

async function pass(ledger: Ledger, h: GatewayHarness, keys: KeySource, form: StoredForm, wrap?: (l: RewriteDeps['ledger']) => RewriteDeps['ledger']): Promise<PassProgress> {
  const deps: RewriteDeps = { ledger: wrap ? wrap(ledger) : ledger, backends: h.deps.backends, keys, chunkSize: 4096, heartbeatMs: 1000 };
  const left: string[] = [];
  const done = await runStoredFormPass(deps, form, { batch: 2, concurrency: 2, onLeftOver: (k, o, e) => left.push(`${k} ${o} ${String(e)}`) });
  assert.deepEqual(left, [], 'nothing left over');
  return done;
}

test('encrypt-existing, decrypt-existing and rewrite-headers rewrite every copy and lose no overwrite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 's3o-stored-form-'));
  const ledger = await openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db'), source: 'stored-form-test' });
  // New objects are stored as sent; the key is there for the passes and for reads.
  const h = await startGatewayHarness({ ledger, encryption: { enabled: false, key_id: 'k1', master_key: K1, chunk_size: '4KiB' } });
  try {
    const keys = h.deps.keys!;
    const bodies = new Map<string, Buffer>([
      ['a', Buffer.from(MARKER.repeat(900))], ['b', Buffer.from(`${MARKER}small`)], ['c', Buffer.alloc(0)], ['race', Buffer.from(`${MARKER}old`)],
    ]);
    for (const [k, body] of bodies) await h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: body }));
    // A multipart object (its ETag is not an MD5 of the whole).
    const part1 = Buffer.from(MARKER.repeat(Math.ceil((5 * 1024 * 1024) / MARKER.length)));
    const part2 = Buffer.from(`${MARKER}tail`);
    const up = await h.s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'm' }));
    const e1 = await h.s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'm', UploadId: up.UploadId, PartNumber: 1, Body: part1 }));
    const e2 = await h.s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'm', UploadId: up.UploadId, PartNumber: 2, Body: part2 }));
    await h.s3.send(new CompleteMultipartUploadCommand({
      Bucket: BUCKET, Key: 'm', UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag }, { PartNumber: 2, ETag: e2.ETag }] },
    }));
    bodies.set('m', Buffer.concat([part1, part2]));

    // 'a' gets a second copy on b2, as replication makes one.
    const a = (await ledger.getObject(`${BUCKET}/a`))!;
    const intentId = newId();
    const replica = await ledger.claim({ intentId, kind: 'replica', objectKey: a.object.objectKey, storageKey: storageKeyForInternal(a.object.objectKey, intentId), sizeBytes: a.object.size, candidates: ['b2'], identity: null });
    assert.ok(replica);
    const raw = (name: string) => h.backends.find((b) => b.name === name)!.raw;
    await copyBytes({ source: raw('b1'), sourceKey: a.locations[0]!.storageKey, target: raw('b2'), targetKey: replica.storageKey, size: a.object.size });
    assert.equal((await ledger.commitReplica({ intentId, writeId: a.object.writeId, events: () => [] })).outcome, 'replicated');
    const keyList = [...bodies.keys()];
    const storedBefore = await h.storedKeys();

    // A client overwrites 'race' while its rewrite is in flight: the overwrite wins.
    const raced = Buffer.from('the newer write');
    const racing = (l: RewriteDeps['ledger']): RewriteDeps['ledger'] => ({
      ...l,
      getObject: l.getObject.bind(l), claim: l.claim.bind(l), heartbeat: l.heartbeat.bind(l), abandonIntent: l.abandonIntent.bind(l),
      dropIntent: l.dropIntent.bind(l), enqueueCleanup: l.enqueueCleanup.bind(l), listObjectsByStoredForm: l.listObjectsByStoredForm.bind(l),
      rewriteStoredForm: async (req) => {
        if (req.objectKey === `${BUCKET}/race`) await h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'race', Body: raced }));
        return l.rewriteStoredForm(req);
      },
    });
    const progress: number[] = [];
    const first = await pass(ledger, h, keys, 'encrypted', (l) => {
      const wrapped = racing(l);
      const list = wrapped.listObjectsByStoredForm;
      return { ...wrapped, listObjectsByStoredForm: async (...args) => { const page = await list(...args); progress.push(page.length); return page; } };
    });
    assert.deepEqual({ ...first.counts, looked: first.looked }, { rewritten: 4, current: 0, stale: 1, conflict: 0, 'no-room': 0, failed: 0, looked: 5 });
    assert.deepEqual(progress, [2, 2, 1, 0], 'page by page');
    bodies.set('race', raced);
    const raceRow = (await ledger.getObject(`${BUCKET}/race`))!;
    assert.equal(raceRow.object.encryption ?? null, null, 'the newer write is left as it was written');

    // Resumable: a second run rewrites what the first could not (the newer write), then nothing.
    assert.equal((await pass(ledger, h, keys, 'encrypted')).counts.rewritten, 1);
    assert.equal((await pass(ledger, h, keys, 'encrypted')).looked, 0);

    const encrypted = await storedCopies(h, ledger, keyList);
    assert.equal(encrypted.filter((c) => c.key === 'a').length, 2, 'both copies of a rewritten');
    for (const copy of encrypted) {
      assert.ok(copy.header, `${copy.key} has a header`);
      assert.equal(copy.meta['s3o-enc'], copy.header, `${copy.backend} copy of ${copy.key} carries the ledger's header`);
      assert.ok(!copy.bytes.includes(MARKER), `${copy.backend} copy of ${copy.key} holds no plaintext`);
    }
    // Quotas are charged the stored bytes of the new copies; the old copies are owed to cleanup.
    let stored = 0;
    for (const k of keyList) {
      const found = (await ledger.getObject(`${BUCKET}/${k}`))!;
      assert.ok(found.object.storedSize! > found.object.size || found.object.size === 0);
      assert.ok(found.locations.every((l) => l.sizeBytes === found.object.storedSize));
      stored += found.object.storedSize! * found.locations.length;
    }
    const quotas = await ledger.getQuotas();
    assert.equal(quotas.reduce((n, q) => n + q.bytesUsed, 0), stored);
    const storedNow = await h.storedKeys();
    const owed = storedBefore.filter((k) => storedNow.includes(k));
    assert.ok(owed.length > 0 && quotas.reduce((n, q) => n + q.orphanBytes, 0) > 0, 'the old copies are debts until cleanup deletes them');

    for (const [k, body] of bodies) {
      const res = await h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: k }));
      assert.ok(Buffer.from(await res.Body!.transformToByteArray()).equals(body), `${k} reads back`);
    }
    const ranged = await h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'm', Range: 'bytes=5242870-5242899' }));
    assert.ok(Buffer.from(await ranged.Body!.transformToByteArray()).equals(bodies.get('m')!.subarray(5242870, 5242900)));

    // Rotation, then rewrite-headers: every backend copy's header names the new key.
    const rotated = await openConfiguredKeys(key('k2', K2), [key('k1', K1)], ledger);
    assert.ok(rotated);
    assert.equal((await rotateKey(ledger, rotated, 'k1', 10)).rewrapped, keyList.length);
    const rewritten = await pass(ledger, h, rotated, 'current-header');
    assert.equal(rewritten.counts.rewritten, keyList.length);
    for (const copy of await storedCopies(h, ledger, keyList)) {
      assert.match(copy.meta['s3o-enc']!, /^v=1;k=k2;/, `${copy.backend} copy of ${copy.key}`);
      assert.equal(copy.meta['s3o-enc'], copy.header);
    }
    assert.equal((await pass(ledger, h, rotated, 'current-header')).counts.current, keyList.length, 'a second run finds every header current');

    // decrypt-existing: back to plaintext, byte for byte.
    const back = await pass(ledger, h, rotated, 'plaintext');
    assert.equal(back.counts.rewritten, keyList.length);
    for (const copy of await storedCopies(h, ledger, keyList)) {
      assert.equal(copy.header ?? null, null);
      assert.equal(copy.meta['s3o-enc'], undefined);
      assert.ok(copy.bytes.equals(bodies.get(copy.key)!), `${copy.backend} copy of ${copy.key} is the plaintext`);
    }
    for (const k of keyList) {
      const found = (await ledger.getObject(`${BUCKET}/${k}`))!;
      assert.ok(found.locations.every((l) => l.sizeBytes === found.object.size));
    }
  } finally {
    await h.close();
    await ledger.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('an encrypted multipart object carries its part layout on the backend (Complete restamps it; rewrite-headers leaves it): it is served without the database', async () => {
  const dir = await mkdtemp(join(tmpdir(), 's3o-stored-form-mp-'));
  const real = await openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db'), source: 'stored-form-test' });
  const db = switchableLedger(real);
  const h = await startGatewayHarness({
    ledger: db.ledger, circuitBreaker: { failure_threshold: 1, open_timeout: '1h' },
    encryption: { enabled: true, key_id: 'k1', master_key: K1, chunk_size: '16KiB' },
  });
  try {
    // Parts 1 and 3: the layout is not derivable from sizes alone (numbers need not follow on).
    const part1 = Buffer.from(MARKER.repeat(Math.ceil((5 * 1024 * 1024 + 100) / MARKER.length)));
    const part3 = Buffer.from(MARKER.repeat(3000));
    const body = Buffer.concat([part1, part3]);
    const up = await h.s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'parts.bin' }));
    const e1 = await h.s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'parts.bin', UploadId: up.UploadId, PartNumber: 1, Body: part1 }));
    const e3 = await h.s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'parts.bin', UploadId: up.UploadId, PartNumber: 3, Body: part3 }));
    const done = await h.s3.send(new CompleteMultipartUploadCommand({
      Bucket: BUCKET, Key: 'parts.bin', UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag }, { PartNumber: 3, ETag: e3.ETag }] },
    }));
    // Complete restamped the copy with the ledger's header, layout included, so rewrite-headers
    // (for objects completed before restamping, or above 5 GiB) finds nothing to do here.
    const rewritten = await pass(real, h, h.deps.keys!, 'current-header');
    assert.equal(rewritten.counts.rewritten, 0);
    const [copy] = await storedCopies(h, real, ['parts.bin']);
    assert.equal(copy!.meta['s3o-enc'], copy!.header, 'the ledger\'s header, with the part layout');
    assert.match(copy!.meta['s3o-enc']!, /;m=1:\d+,3:51000$/, 'parts 1 and 3');
    assert.ok(!copy!.bytes.includes(MARKER));

    db.reachable = false;
    const head = await h.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'parts.bin' }));
    assert.equal(head.ContentLength, body.length);
    assert.equal(head.ETag, done.ETag, 'the multipart ETag, from the copy\'s metadata');
    const whole = await h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'parts.bin' }));
    assert.ok(Buffer.from(await whole.Body!.transformToByteArray()).equals(body));
    const across = `bytes=${part1.length - 10}-${part1.length + 9}`;
    const ranged = await h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'parts.bin', Range: across }));
    assert.ok(Buffer.from(await ranged.Body!.transformToByteArray()).equals(body.subarray(part1.length - 10, part1.length + 10)), 'a range across the parts');
    assert.equal(await h.health(), 'degraded', 'served without the database');
  } finally {
    await h.close();
    await real.close();
    await rm(dir, { recursive: true, force: true });
  }
});
