// Encrypted objects through a real gateway (real s3rver backends, a real SQLite ledger, the
// AWS SDK): served with the database unreachable (degraded mode reads the envelope header from
// the copy's own metadata); still readable after encryption is turned off or the key rotated
// into previous_keys; a 500 naming nothing but the failure when the key is gone — never
// garbage; and a start with other key material under a recorded key id refused.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { EncryptionConfig } from '@s3o/config';
import { KeyMismatchError, openConfiguredKeys } from '@s3o/crypto';
import { openLedger, type Ledger } from '@s3o/store';
import { createGatewayApp } from '../src/index.js';
import { BUCKET, failureOf, startGatewayHarness, type GatewayHarness } from './support/gateway-harness.js';
import { switchableLedger, type SwitchableLedger } from './support/unreachable-ledger.js';

const K1 = Buffer.alloc(32, 1).toString('base64');
const K2 = Buffer.alloc(32, 2).toString('base64');
const MARKER = 'secret plaintext marker ';
const BODY = MARKER.repeat(3000); // ~72 KB: several 16 KiB chunks

async function withLedger(body: (real: Ledger, db: SwitchableLedger) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 's3o-encryption-'));
  const real = await openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db'), source: 'encryption-test' });
  try {
    await body(real, switchableLedger(real));
  } finally {
    await real.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function read(s3: S3Client, key: string, range?: string): Promise<string> {
  const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: range }));
  return res.Body!.transformToString();
}

/** A second gateway over the same ledger and backends with other `encryption` settings, and a client of it. */
async function secondGateway(h: GatewayHarness, encryption: EncryptionConfig): Promise<{ s3: S3Client; close: () => Promise<void> }> {
  const config = { ...h.config, encryption };
  const keys = await openConfiguredKeys(encryption.masterKey, encryption.previousKeys, h.deps.ledger as Ledger);
  const gateway = createGatewayApp({ ...h.deps, config, keys });
  const url = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
  gateway.ready = true;
  const credential = h.config.buckets[0]!.credentials[0]!;
  const s3 = new S3Client({
    endpoint: url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey },
  });
  return { s3, close: async () => { s3.destroy(); await gateway.app.close(); } };
}

const key = (id: string, material: string) => ({ id, key: material, file: null });
const CHUNK = 16 * 1024;

async function storedBodies(h: GatewayHarness): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await h.storedKeys()) {
    const [name, ...rest] = entry.split(':');
    const backend = h.backends.find((b) => b.name === name)!;
    const res = await backend.raw.getObject(rest.join(':'));
    const chunks: Buffer[] = [];
    for await (const c of res.body) chunks.push(c as Buffer);
    out.push(Buffer.concat(chunks).toString('latin1'));
  }
  return out;
}

test('database unreachable: an encrypted object is served from its copy, whole and by range', () =>
  withLedger(async (_real, db) => {
    const h = await startGatewayHarness({
      ledger: db.ledger, circuitBreaker: { failure_threshold: 1, open_timeout: '1h' },
      encryption: { enabled: true, key_id: 'k1', master_key: K1, chunk_size: '16KiB' },
    });
    try {
      await h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'doc.txt', Body: BODY, ContentType: 'text/plain' }));
      const created = await h.s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'parts.bin' }));
      const part = await h.s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'parts.bin', UploadId: created.UploadId!, PartNumber: 1, Body: BODY }));
      await h.s3.send(new CompleteMultipartUploadCommand({
        Bucket: BUCKET, Key: 'parts.bin', UploadId: created.UploadId!, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] },
      }));
      assert.equal(await read(h.s3, 'parts.bin', 'bytes=20000-20010'), BODY.slice(20000, 20011), 'with the database it reads');
      assert.ok((await storedBodies(h)).every((b) => !b.includes(MARKER)), 'ciphertext only on the backends');
      db.reachable = false;
      const head = await h.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'doc.txt' }));
      assert.equal(head.ContentLength, BODY.length, 'the plaintext size, from the header in the copy\'s metadata');
      assert.equal(await read(h.s3, 'doc.txt'), BODY);
      assert.equal(await read(h.s3, 'doc.txt', 'bytes=16380-16400'), BODY.slice(16380, 16401));
      assert.equal(await read(h.s3, 'doc.txt', 'bytes=-7'), BODY.slice(-7));
      assert.equal(await h.health(), 'degraded', 'the reads really were served without the database');
      // Complete restamped the multipart object's copy with its part layout: it is served too.
      assert.equal(await read(h.s3, 'parts.bin'), BODY);
      assert.equal(await read(h.s3, 'parts.bin', 'bytes=20000-20010'), BODY.slice(20000, 20011));
    } finally {
      await h.close();
    }
  }));

test('encryption off, a rotated key and a missing key: old objects stay readable while their key is configured; without it a 500', () =>
  withLedger(async (real) => {
    const h = await startGatewayHarness({ ledger: real, encryption: { enabled: true, key_id: 'k1', master_key: K1, chunk_size: '16KiB' } });
    try {
      await h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'old.txt', Body: BODY }));

      const off = await secondGateway(h, { enabled: false, chunkSize: CHUNK, masterKey: key('k1', K1), previousKeys: [] });
      try {
        assert.equal(await read(off.s3, 'old.txt'), BODY, 'encryption off: the encrypted object still reads');
        await off.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'plain.txt', Body: BODY }));
        assert.equal(await read(off.s3, 'plain.txt'), BODY);
        assert.equal((await storedBodies(h)).filter((b) => b.includes(MARKER)).length, 1, 'the new object is stored as it is');
        assert.equal(await read(h.s3, 'plain.txt'), BODY, 'and reads with encryption on');
      } finally {
        await off.close();
      }

      const rotated = await secondGateway(h, { enabled: true, chunkSize: CHUNK, masterKey: key('k2', K2), previousKeys: [key('k1', K1)] });
      try {
        assert.equal(await read(rotated.s3, 'old.txt'), BODY, 'k1 in previous_keys still opens what it wrapped');
        await rotated.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'new.txt', Body: BODY }));
      } finally {
        await rotated.close();
      }

      const without = await secondGateway(h, { enabled: true, chunkSize: CHUNK, masterKey: key('k2', K2), previousKeys: [] });
      try {
        assert.equal(await read(without.s3, 'new.txt'), BODY);
        assert.deepEqual(await failureOf(read(without.s3, 'old.txt')), { status: 500, code: 'InternalError' }, 'k1 gone: a 500, never garbage');
        const head = await without.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'old.txt' }));
        assert.equal(head.ContentLength, BODY.length, 'HEAD answers from the ledger');
      } finally {
        await without.close();
      }
    } finally {
      await h.close();
    }
  }));

test('other key material under a recorded key id refuses to start, naming the id', () =>
  withLedger(async (real) => {
    await openConfiguredKeys({ id: 'k1', key: K1, file: null }, [], real);
    await assert.rejects(openConfiguredKeys({ id: 'k1', key: K2, file: null }, [], real), (err: unknown) => {
      assert.ok(err instanceof KeyMismatchError);
      assert.match(err.message, /master key "k1"/);
      return true;
    });
    await assert.rejects(openConfiguredKeys({ id: 'k3', key: K1, file: null }, [{ id: 'k1', key: K2, file: null }], real), /master key "k1"/, 'a previous key is checked too');
    assert.ok(await openConfiguredKeys({ id: 'k2', key: K2, file: null }, [{ id: 'k1', key: K1, file: null }], real));
  }));
